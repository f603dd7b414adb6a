/** One row in the protobuf-JSON shape of Vitess `query.Row`. */
export interface PsRow {
  lengths: string[]
  values?: string
}

/**
 * Encodes a text-protocol row (raw bytes per column, null for NULL) as Vitess does: byte lengths with
 * -1 for NULL, and every non-NULL value concatenated into one base64 string.
 */
export function encodeRow(row: ReadonlyArray<Buffer | null>): PsRow {
  const lengths = new Array<string>(row.length)
  const parts: Buffer[] = []
  let total = 0
  for (let i = 0; i < row.length; i++) {
    const value = row[i]
    if (value == null) {
      lengths[i] = '-1'
    } else {
      lengths[i] = String(value.length)
      total += value.length
      parts.push(value)
    }
  }
  if (total === 0) return { lengths }
  const bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts, total)
  return { lengths, values: bytes.toString('base64') }
}
