// What the local Have I Been Pwned stand-in serves besides the blocklist. No Node imports: the
// workerd tests read these too.

/**
 * Long passphrases that pass the blocklist yet are known from breach corpora (widely quoted phrases
 * people do pick). The stand-in reports them breached, so a test can tell the range check from the
 * blocklist.
 */
export const KNOWN_BREACHED_PASSPHRASES: readonly string[] = [
  'the quick brown fox jumps over the lazy dog',
  'to be or not to be that is the question',
  'may the force be with you',
  'mary had a little lamb',
  'i love you to the moon and back',
]

/**
 * Passwords the stand-in never reports breached, but whose hash suffixes it adds as count-0 padding
 * lines whenever a request asks for padding: a client that counts padding as a breach will say true.
 */
export const PADDING_DECOYS: readonly string[] = ['only ever seen as padding, never breached']
