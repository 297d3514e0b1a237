// Backslash escapes as PostgreSQL (COPY text, E'' strings) and MySQL (quoted strings) write them. Escapes
// that spell bytes (octal, hex) are gathered in runs and decoded as UTF-8 together.

import { DumpError } from './errors'

const POSTGRESQL_SINGLE: Readonly<Record<string, string>> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' }
const MYSQL_SINGLE: Readonly<Record<string, string>> = {
  '0': '\0', b: '\b', n: '\n', r: '\r', t: '\t', Z: '\x1a', '%': '\\%', _: '\\_',
}
const OCTAL = /^[0-7]{1,3}/
const HEX_BYTE = /^[0-9a-fA-F]{1,2}/
const utf8 = new TextDecoder('utf-8', { fatal: true })

/** The quote that delimits a string, written twice inside it for itself; '' for COPY text, which has none. */
export type QuoteInString = "'" | '"' | ''

/** A string's text between escapes, with each doubled quote taken as one. */
export function undouble(text: string, quote: QuoteInString): string {
  return quote === '' ? text : text.replaceAll(quote + quote, quote)
}

/** Text with escapes decoded; bytes from escapes are held until the next ordinary character. */
class Unescaped {
  private text = ''
  private bytes: number[] = []

  constructor(private readonly line: number) {}

  addText(text: string): void {
    if (text === '') return
    this.flush()
    this.text += text
  }

  addByte(byte: number): void {
    if (byte > 0xff) throw new DumpError('BAD_SYNTAX', this.line, 'an octal escape beyond one byte')
    this.bytes.push(byte)
  }

  result(): string {
    this.flush()
    return this.text
  }

  private flush(): void {
    if (this.bytes.length === 0) return
    try {
      this.text += utf8.decode(Uint8Array.from(this.bytes))
    } catch {
      throw new DumpError('BAD_UTF8', this.line, 'escapes that spell bytes that are not UTF-8')
    }
    this.bytes = []
  }
}

/**
 * PostgreSQL's escapes (COPY text format, E'' strings): \b \f \n \r \t \v, octal \NNN, hex \xNN, and in
 * E'' strings \uXXXX and \UXXXXXXXX; a backslash before any other character stands for that character.
 */
export function unescapePostgresql(raw: string, line: number, quote: QuoteInString): string {
  const out = new Unescaped(line)
  const unicode = quote !== ''
  let start = 0
  for (let index = raw.indexOf('\\'); index !== -1; index = raw.indexOf('\\', start)) {
    out.addText(undouble(raw.slice(start, index), quote))
    const next = raw[index + 1]
    if (next === undefined) throw new DumpError('BAD_SYNTAX', line, 'a backslash at the end of a value')
    const octal = OCTAL.exec(raw.slice(index + 1, index + 4))
    const hex = next === 'x' ? HEX_BYTE.exec(raw.slice(index + 2, index + 4)) : null
    const unicodeDigits = next === 'u' ? 4 : next === 'U' ? 8 : 0
    if (octal) {
      out.addByte(parseInt(octal[0], 8))
      start = index + 1 + octal[0].length
    } else if (hex) {
      out.addByte(parseInt(hex[0], 16))
      start = index + 2 + hex[0].length
    } else if (unicode && unicodeDigits > 0) {
      const digits = raw.slice(index + 2, index + 2 + unicodeDigits)
      const codePoint = /^[0-9a-fA-F]+$/.test(digits) && digits.length === unicodeDigits ? parseInt(digits, 16) : -1
      if (codePoint < 0 || codePoint > 0x10ffff || (codePoint >= 0xd800 && codePoint <= 0xdfff)) {
        throw new DumpError('BAD_SYNTAX', line, `a bad \\${next} escape`)
      }
      out.addText(String.fromCodePoint(codePoint))
      start = index + 2 + unicodeDigits
    } else {
      out.addText(POSTGRESQL_SINGLE[next] ?? next)
      start = index + 2
    }
  }
  out.addText(undouble(raw.slice(start), quote))
  return out.result()
}

/** MySQL's escapes: \0 \b \n \r \t \Z, \% and \_ kept as written, a backslash before any other character that character. */
export function unescapeMysql(raw: string, line: number, quote: QuoteInString): string {
  let text = ''
  let start = 0
  for (let index = raw.indexOf('\\'); index !== -1; index = raw.indexOf('\\', start)) {
    const next = raw[index + 1]
    if (next === undefined) throw new DumpError('BAD_SYNTAX', line, 'a backslash at the end of a value')
    text += undouble(raw.slice(start, index), quote) + (MYSQL_SINGLE[next] ?? next)
    start = index + 2
  }
  return text + undouble(raw.slice(start), quote)
}

/** A hex literal's digits (MySQL 0x…) as the UTF-8 text they spell. */
export function hexText(digits: string, line: number): string {
  if (digits.length % 2 !== 0) digits = `0${digits}`
  const bytes = new Uint8Array(digits.length / 2)
  for (let index = 0; index < bytes.length; index++) bytes[index] = parseInt(digits.slice(2 * index, 2 * index + 2), 16)
  try {
    return utf8.decode(bytes)
  } catch {
    throw new DumpError('BAD_UTF8', line, 'a hex literal whose bytes are not UTF-8')
  }
}
