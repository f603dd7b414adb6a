// Wraps the FastAPI app's raw SHA-256 digests in bcrypt, batch by batch; resumable, idempotent.
import type { Client } from '@planetscale/database'
import { isRawLegacyDigest, wrapLegacyDigest } from '../src/core/passwords/hash'

type Row = Record<string, unknown>

/**
 * Replaces every raw legacy digest in `users.pass_word` with `sha256-bcrypt:` + bcrypt(digest) at
 * `cost`, `batchSize` rows per UPDATE, logging progress. A row changed meanwhile (say, rehashed at a
 * login) is left alone; an interrupted run leaves only raw digests to the next, so re-running wraps
 * just those. Returns how many were wrapped.
 */
export async function wrapLegacyDigests(
  client: Client,
  cost: number,
  log: (line: string) => void,
  batchSize = 100,
): Promise<number> {
  // Every raw digest is 64 characters; the exact check is done below, outside SQL collations.
  const candidates = 'CHAR_LENGTH(pass_word) = 64'
  const [count] = (await client.execute(`SELECT COUNT(*) AS n FROM \`users\` WHERE ${candidates}`))
    .rows as Row[]
  const total = Number(count?.n ?? 0)
  if (total === 0) return 0
  log(`passwords: wrapping up to ${total} legacy SHA-256 digest(s) in bcrypt at cost ${cost}`)
  let wrapped = 0
  for (let after = 0; ;) {
    const rows = (
      await client.execute(
        `SELECT id, pass_word FROM \`users\` WHERE id > ? AND ${candidates} ORDER BY id LIMIT ?`,
        [after, batchSize],
      )
    ).rows as Row[]
    if (rows.length === 0) break
    after = Number(rows[rows.length - 1]!.id)
    const batch = rows
      .map((row) => ({ id: Number(row.id), digest: String(row.pass_word) }))
      .filter((row) => isRawLegacyDigest(row.digest))
      .map((row) => ({ ...row, hash: wrapLegacyDigest(row.digest, cost) }))
    if (batch.length === 0) continue
    // One statement per batch; `pass_word = old` keeps a hash replaced meanwhile.
    await client.execute(
      `UPDATE \`users\` SET pass_word = CASE ${batch
        .map(() => 'WHEN id = ? AND pass_word = ? THEN ?')
        .join(' ')} ELSE pass_word END WHERE id IN (?)`,
      [...batch.flatMap((row) => [row.id, row.digest, row.hash]), batch.map((row) => row.id)],
    )
    wrapped += batch.length
    log(`passwords: wrapped ${wrapped}/${total}`)
  }
  return wrapped
}
