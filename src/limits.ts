/** Limits shared by the server's form checks and the markup's hints, so the two never disagree. */
export const USERNAME_MAX = 64
export const EMAIL_MAX = 254
/** bcrypt reads at most 72 bytes; longer passwords are refused, never truncated (ASVS 6.2.8). */
export const PASSWORD_MAX_BYTES = 72
