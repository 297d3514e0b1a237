// CSV as RFC 4180 writes it (fields separated by commas, records by CRLF, a field quoted when it holds a
// comma, a quote or a line break, quotes doubled), with text people typed neutralised against CSV injection:
// a spreadsheet runs a cell that starts with = + - or @ as a formula, so such text gets a leading apostrophe.

/** The first characters that make a spreadsheet read a cell as a formula (OWASP "CSV Injection"), tab and CR included. */
const FORMULA_START = /^[\s]*[=+\-@]|^[\t\r]/u
const NEEDS_QUOTES = /[",\r\n]/u

/**
 * One field. Numbers are the hub's own and written as they are (a negative one stays a number); text is
 * neutralised when a spreadsheet would take it for a formula, then quoted when RFC 4180 says so.
 */
export function csvField(value: string | number | null): string {
  if (value === null) return ''
  if (typeof value === 'number') return String(value)
  const text = FORMULA_START.test(value) ? `'${value}` : value
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

/** One record, CRLF-terminated. */
export function csvRecord(values: ReadonlyArray<string | number | null>): string {
  return `${values.map(csvField).join(',')}\r\n`
}
