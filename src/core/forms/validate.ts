import type { Context, Env } from 'hono'
import { validator } from 'hono/validator'
import * as v from 'valibot'
import type { AppEnv } from '../env'

export type FieldErrors<K extends string> = Partial<Record<K, string>>

/** A validation issue as valibot and Standard Schema validators report it. */
interface Issue {
  readonly message: string
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: unknown }> | undefined
}

/** The first message per field, as the forms show them next to their inputs. */
export function fieldErrors<K extends string>(issues: readonly Issue[]): FieldErrors<K> {
  const errors: Record<string, string> = {}
  for (const issue of issues) {
    const segment = issue.path?.[0]
    const key = typeof segment === 'object' ? segment.key : segment
    if (typeof key === 'string' && !(key in errors)) errors[key] = issue.message
  }
  return errors as FieldErrors<K>
}

/** What the person typed, to put back in the form after an error: never a password. */
export function keptValues(raw: Record<string, unknown>, names: readonly string[]) {
  const kept: Record<string, string> = {}
  for (const name of names) {
    const value = raw[name]
    if (typeof value === 'string' && !name.includes('password')) kept[name] = value.trim()
  }
  return kept
}

/** The message for a value one field schema refuses, or undefined when it passes. */
export function fieldProblem(schema: v.GenericSchema, value: unknown): string | undefined {
  const result = v.safeParse(schema, value)
  return result.success ? undefined : result.issues[0].message
}

type Schema = v.GenericSchema<unknown, Record<string, unknown>>

/**
 * The one way a form is read: Hono's validator middleware over a valibot schema, chosen per request
 * when its limits come from the configuration or the signed-in user. A malformed body is a 400
 * (Hono's validator); an invalid form is answered by `onInvalid`, which re-renders the form with its
 * messages; a valid one reaches the handler as `c.req.valid('form')`.
 */
export function validForm<S extends Schema, E extends Env = AppEnv>(
  schemaFor: (c: Context<E>) => S,
  onInvalid: (
    c: Context<E>,
    errors: FieldErrors<string>,
    raw: Record<string, unknown>,
  ) => Response | Promise<Response>,
) {
  return validator('form', (value, c: Context<E>) => {
    const result = v.safeParse(schemaFor(c), value)
    if (!result.success) return onInvalid(c, fieldErrors(result.issues), value)
    return result.output as v.InferOutput<S>
  })
}
