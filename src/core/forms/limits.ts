/** Input limits shared by the server's checks and the markup's hints (one source of truth). */

/** Username length in Unicode code points. */
export const USERNAME_MAX = 64
/** RFC 5321's longest usable address, in UTF-16 code units (what `maxlength` counts too). */
export const EMAIL_MAX = 254
