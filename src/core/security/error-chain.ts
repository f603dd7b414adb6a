/** An error and its `cause`s (drizzle wraps driver errors, the driver wraps fetch failures). */
export function errorChain(err: unknown, limit = 8): unknown[] {
  const chain: unknown[] = []
  for (let e = err; e && chain.length < limit; e = (e as { cause?: unknown }).cause) chain.push(e)
  return chain
}
