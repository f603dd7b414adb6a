import type { FieldPacket } from 'mysql2'

/** One column of a result, in the protobuf-JSON shape of Vitess `query.Field`. */
export interface PsField {
  name: string
  type?: string
  table?: string
  orgTable?: string
  database?: string
  orgName?: string
  columnLength?: number
  charset?: number
  decimals?: number
  flags?: number
}

// MySQL column flags (include/mysql_com.h).
const UNSIGNED_FLAG = 32
const BINARY_FLAG = 128
const ENUM_FLAG = 256
const SET_FLAG = 2048
const NUM_FLAG = 32768

const BASE_TYPES: Record<number, string> = {
  0: 'DECIMAL',
  1: 'INT8',
  2: 'INT16',
  3: 'INT32',
  4: 'FLOAT32',
  5: 'FLOAT64',
  6: 'NULL',
  7: 'TIMESTAMP',
  8: 'INT64',
  9: 'INT24',
  10: 'DATE',
  11: 'TIME',
  12: 'DATETIME',
  13: 'YEAR',
  15: 'VARCHAR',
  16: 'BIT',
  17: 'TIMESTAMP',
  18: 'DATETIME',
  19: 'TIME',
  245: 'JSON',
  246: 'DECIMAL',
  247: 'ENUM',
  248: 'SET',
  249: 'TEXT',
  250: 'TEXT',
  251: 'TEXT',
  252: 'TEXT',
  253: 'VARCHAR',
  254: 'CHAR',
  255: 'GEOMETRY',
}

const BINARY_VARIANTS: Record<string, string> = {
  TEXT: 'BLOB',
  VARCHAR: 'VARBINARY',
  CHAR: 'BINARY',
}

/**
 * Maps a MySQL column type code and flags to the Vitess type name the driver casts by, following
 * Vitess's own `sqltypes.MySQLToType`: the BINARY flag wins over ENUM/SET, and UNSIGNED only touches
 * integers (MariaDB sets it on YEAR too).
 */
export function vitessType(columnType: number, flags: number, extendedFormat?: string): string {
  // MariaDB sends JSON as LONGTEXT; only the extended metadata says it is JSON.
  if (extendedFormat === 'json') return 'JSON'
  const base = BASE_TYPES[columnType] ?? 'VARCHAR'
  if (base.startsWith('INT') && flags & UNSIGNED_FLAG) return `U${base}`
  const binary = BINARY_VARIANTS[base]
  if (binary && flags & BINARY_FLAG) return binary
  if (base === 'CHAR' && flags & ENUM_FLAG) return 'ENUM'
  if (base === 'CHAR' && flags & SET_FLAG) return 'SET'
  return base
}

function isNumeric(columnType: number): boolean {
  return (columnType <= 9 && columnType !== 7) || columnType === 13 || columnType === 246
}

/** Converts mysql2 field metadata to the driver's field shape, omitting zero values as protojson does. */
export function toPsField(field: FieldPacket): PsField {
  const columnType = field.columnType ?? 253
  const rawFlags = typeof field.flags === 'number' ? field.flags : 0
  // Servers never send NUM_FLAG; MariaDB reuses its bit as GROUP_FLAG. Clients (Vitess) add it.
  let flags = rawFlags & ~NUM_FLAG
  if (isNumeric(columnType)) flags |= NUM_FLAG
  const type = vitessType(columnType, flags, field.extendedFormat)
  const out: PsField = { name: field.name }
  if (type !== 'NULL') out.type = type
  if (field.table) out.table = field.table
  if (field.orgTable) out.orgTable = field.orgTable
  if (field.schema) out.database = field.schema
  if (field.orgName) out.orgName = field.orgName
  if (field.columnLength) out.columnLength = field.columnLength
  if (field.characterSet) out.charset = field.characterSet
  if (field.decimals) out.decimals = field.decimals
  if (flags) out.flags = flags
  return out
}
