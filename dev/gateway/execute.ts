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
  if (id === 0) return '0'
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

// The converted fields of a result shape, and their JSON, are kept per shape: an application runs the
// same few statements over and over, and converting (and serialising) field metadata on every result
// costs more than the row itself. The arrays handed out are frozen, as every result of a shape shares one.
const MAX_SHAPES = 1024
const shapes = new Map<string, PsField[]>()
const fieldsJson = new WeakMap<readonly PsField[], string>()

// mysql2's column definition keeps the packet and the offsets of its strings, decoding them on access.
interface RawColumn {
  _buf?: unknown
  _catalogLength?: unknown
  _catalogStart?: unknown
  _orgNameStart?: unknown
  _orgNameLength?: unknown
}

/**
 * A key identifying everything `toPsField` reads from a column: the raw bytes of its names (schema,
 * table, original table, name, original name, each length-prefixed on the wire) and its numeric
 * attributes. Undefined when mysql2 does not expose the raw packet, in which case nothing is cached.
 */
function columnKey(field: FieldPacket): string | undefined {
  const raw = field as unknown as RawColumn
  const buf = raw._buf
  const catalogStart = raw._catalogStart
  const orgNameStart = raw._orgNameStart
  const orgNameLength = raw._orgNameLength
  if (
    !Buffer.isBuffer(buf) ||
    typeof catalogStart !== 'number' ||
    typeof orgNameStart !== 'number' ||
    typeof orgNameLength !== 'number'
  ) {
    return undefined
  }
  const names = buf.toString('latin1', catalogStart, orgNameStart + orgNameLength)
  return (
    `${names.length}:${names}:${String(raw._catalogLength)},${field.characterSet},` +
    `${field.columnLength},${field.columnType},${field.flags},${field.decimals},` +
    `${field.extendedFormat ?? '-'}`
  )
}

/**
 * The key of a whole result shape when its column definitions sit one after another in one network
 * buffer, as they do when the reply arrived in one read: the wire bytes from the first column's names
 * to the last one's, which hold every column but the last in full, plus the last one's attributes.
 * One string instead of one per column.
 */
function shapeKey(columns: FieldPacket[]): string | undefined {
  const first = columns[0] as unknown as RawColumn | undefined
  const last = columns[columns.length - 1] as unknown as RawColumn | undefined
  if (!first || !last || columns.length < 2) return undefined
  const buf = first._buf
  const start = first._catalogStart
  const orgNameStart = last._orgNameStart
  const orgNameLength = last._orgNameLength
  if (
    !Buffer.isBuffer(buf) ||
    typeof start !== 'number' ||
    typeof orgNameStart !== 'number' ||
    typeof orgNameLength !== 'number' ||
    orgNameStart < start
  ) {
    return undefined
  }
  for (let i = 1; i < columns.length; i++) {
    if ((columns[i] as unknown as RawColumn)._buf !== buf) return undefined
  }
  const field = columns[columns.length - 1]!
  const bytes = buf.toString('latin1', start, orgNameStart + orgNameLength)
  return (
    `${columns.length}/${String(first._catalogLength)}/${field.characterSet},${field.columnLength},` +
    `${field.columnType},${field.flags},${field.decimals},${field.extendedFormat ?? '-'}/${bytes}`
  )
}

/** The driver-shaped fields of a result, converted once per result shape. */
export function psFields(columns: FieldPacket[]): PsField[] {
  let key = shapeKey(columns)
  if (key === undefined) {
    key = ''
    for (let i = 0; i < columns.length; i++) {
      const part = columnKey(columns[i]!)
      if (part === undefined) return columns.map(toPsField)
      key += `${part.length};${part}`
    }
  }
  let fields = shapes.get(key)
  if (fields === undefined) {
    fields = columns.map((column) => Object.freeze(toPsField(column)))
    Object.freeze(fields)
    if (shapes.size >= MAX_SHAPES) shapes.clear()
    shapes.set(key, fields)
  }
  return fields
}

/** `JSON.stringify(fields)`, remembered for the shared arrays `psFields` returns. */
export function stringifyFields(fields: readonly PsField[]): string {
  let json = fieldsJson.get(fields)
  if (json === undefined) {
    json = JSON.stringify(fields)
    if (Object.isFrozen(fields)) fieldsJson.set(fields, json)
  }
  return json
}

/**
 * Runs one statement over the text protocol with raw values (`typeCast: false`), which are exactly
 * the bytes PlanetScale puts in `values`, and calls `done` once, with the error or the outcome. A
 * statement returning several result sets (CALL) yields the first, as Vitess does. A callback rather
 * than a promise: this is the path of every statement.
 */
export function runStatementCb(
  conn: PoolConnection,
  sql: string,
  done: (err: unknown, outcome?: Outcome) => void,
): void {
  // The pool sets typeCast: false and rowsAsArray: true for every query (see pool.ts).
  conn.query(sql, (err, rows, fields) => {
    if (err) return done(err)
    let outcome: Outcome
    try {
      if (isHeader(rows)) {
        outcome = okResult(rows)
      } else {
        let set = rows as unknown[]
        let meta = fields as FieldPacket[] | FieldPacket[][] | undefined
        if (Array.isArray(meta?.[0])) {
          set = (rows as unknown[][])[0] ?? []
          meta = (meta as FieldPacket[][])[0]
        }
        outcome = {
          result: {
            fields: psFields((meta ?? []) as FieldPacket[]),
            rows: (set as Array<Array<Buffer | null>>).map(encodeRow),
          },
        }
      }
    } catch (convertErr) {
      return done(convertErr)
    }
    done(undefined, outcome)
  })
}

/** `runStatementCb` as a promise. */
export function runStatement(conn: PoolConnection, sql: string): Promise<Outcome> {
  return new Promise((resolve, reject) =>
    runStatementCb(conn, sql, (err, outcome) => (err ? reject(err) : resolve(outcome!))),
  )
}
