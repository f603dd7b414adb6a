// Just enough of a User-Agent parser to name a session in the account's list (ASVS 7.5.2): the
// major browsers and systems, in words. Order matters: Edge and Opera also claim to be Chrome,
// Chrome claims to be Safari, iPadOS claims to be macOS, Android claims to be Linux.
const BROWSERS: [RegExp, string][] = [
  [/\b(Edg|EdgA|EdgiOS|Edge)\//, 'Edge'],
  [/\b(OPR|OPiOS|OPT|Opera)\//, 'Opera'],
  [/\b(Firefox|FxiOS)\//, 'Firefox'],
  [/\b(Chrome|CriOS|HeadlessChrome|Chromium)\//, 'Chrome'],
  [/\bVersion\/[\d.]+.*\bSafari\//, 'Safari'],
]

const SYSTEMS: [RegExp, string][] = [
  [/\b(iPhone|iPad|iPod)\b/, 'iOS'],
  [/\bAndroid\b/, 'Android'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bWindows\b/, 'Windows'],
  [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
  [/\bLinux\b/, 'Linux'],
]

function first(table: [RegExp, string][], userAgent: string): string | undefined {
  return table.find(([pattern]) => pattern.test(userAgent))?.[1]
}

/** "Firefox on Windows", "Safari on iOS", "Chrome", or "Unknown browser" (on a known system). */
export function describeUserAgent(userAgent: string): string {
  const browser = first(BROWSERS, userAgent) ?? 'Unknown browser'
  const system = first(SYSTEMS, userAgent)
  return system ? `${browser} on ${system}` : browser
}
