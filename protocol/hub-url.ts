// A hub's address as people type it on a command line: `http://127.0.0.1:3001`, or without a scheme
// (`localhost:3001`), which means http:// — the hub itself speaks plain HTTP.

/** The base URL without a trailing slash; undefined when the text is no http(s) address of a host. */
export function hubBaseUrl(text: string): string | undefined {
  const trimmed = text.trim()
  const withScheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(trimmed) ? trimmed : `http://${trimmed}`
  let parsed: URL
  try {
    parsed = new URL(withScheme)
  } catch {
    return undefined
  }
  if ((parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || parsed.hostname === '') return undefined
  return withScheme.replace(/\/+$/, '')
}

/** What to say when hubBaseUrl refuses `text`. */
export function hubUrlProblem(text: string): string {
  return `must be a hub's address such as http://127.0.0.1:3001 or localhost:3001, got "${text}"`
}
