// MariaDB stands in for PlanetScale's MySQL 8 locally. Where MariaDB rejects SQL that MySQL 8 accepts
// with the same meaning, and tools generate that SQL, the statement is adjusted here, and only here.

// drizzle-kit emits `serial AUTO_INCREMENT` for `serial()` columns. MySQL ignores the repeated
// attribute; MariaDB's grammar rejects it (errno 1064), although its SERIAL implies AUTO_INCREMENT.
const SERIAL_AUTO_INCREMENT = /\bserial(\s+)auto_increment\b/gi

const DDL = /^\s*(?:create|alter)\s+table\b/i

// Quoted strings and identifiers are copied untouched; only the text between them is rewritten.
const QUOTED = /'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*"|`(?:[^`]|``)*`/g

/** Rewrites MySQL 8 DDL that MariaDB cannot parse into its MariaDB equivalent. Other SQL is returned as is. */
export function mariadbCompatible(sql: string): string {
  if (!DDL.test(sql) || !/auto_increment/i.test(sql)) return sql
  let out = ''
  let last = 0
  for (const match of sql.matchAll(QUOTED)) {
    out += sql.slice(last, match.index).replace(SERIAL_AUTO_INCREMENT, 'serial')
    out += match[0]
    last = match.index + match[0].length
  }
  return out + sql.slice(last).replace(SERIAL_AUTO_INCREMENT, 'serial')
}
