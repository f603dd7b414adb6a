/** Trim, Unicode NFC, lower case: the one form an email is stored and looked up in. */
export function normaliseEmail(raw: string): string {
  return raw.trim().normalize('NFC').toLowerCase()
}
