import type { FieldPacket, PoolConnection, ResultSetHeader } from 'mysql2'
import { toPsField, type PsField } from './fields'
import { encodeRow, type PsRow } from './rows'

/** The `result` member of an Execute reply (protobuf-JSON: 64-bit integers as strings, zeros omitted). */
export interface PsResult {
  rowsAffected?: string
  insertId?: string
  fields?: PsField[]
  rows?: PsRow[]
}

/** What one statement produced, plus the transaction state when the server reported it. */
export interface Outcome {
  result: PsResult
  /** From the OK packet; result sets do not expose it, and never change the transaction state. */
  serverStatus?: number
}

const TWO_TO_64 = 1n << 64n

// mysql2 reads insert_id as signed: ids at or above 2^63 arrive negative.
function unsignedId(id: number | string): string {
  let n = BigInt(id)
  if (n < 0n) n += TWO_TO_64
  return n.toString()
}

function okResult(header: ResultSetHeader): Outcome {
  const result: PsResult = {}
  if (header.affectedRows) result.rowsAffected = String(header.affectedRows)
  const insertId = unsignedId(header.insertId)
  if (insertId !== '0') result.insertId = insertId
  return { result, serverStatus: header.serverStatus }
}

function isHeader(value: unknown): value is ResultSetHeader {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * Runs one statement over the text protocol with raw values (`typeCast: false`), which are exactly
 * the bytes PlanetScale puts in `values`. A statement returning several result sets (CALL) yields the
 * first, as Vitess does.
 */
export function runStatement(conn: PoolConnection, sql: string): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    // The pool sets typeCast: false and rowsAsArray: true for every query (see pool.ts).
    conn.query(sql, (err, rows, fields) => {
      if (err) return reject(err)
      if (isHeader(rows)) return resolve(okResult(rows))
      let set = rows as unknown[]
      let meta = fields as FieldPacket[] | FieldPacket[][] | undefined
      if (Array.isArray(meta?.[0])) {
        set = (rows as unknown[][])[0] ?? []
        meta = (meta as FieldPacket[][])[0]
      }
      const columns = (meta ?? []) as FieldPacket[]
      resolve({
        result: {
          fields: columns.map(toPsField),
          rows: (set as Array<Array<Buffer | null>>).map(encodeRow),
        },
      })
    })
  })
}
