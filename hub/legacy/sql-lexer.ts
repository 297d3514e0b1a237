// The tokens of a pg_dump or mysqldump file, read from text that arrives in pieces: a token cut by the
// end of what has arrived is read again, whole, once more text is pushed. Comments, psql meta-commands
// and whitespace are skipped. COPY data is read line by line (copy-text.ts) in the same buffer.

import { DumpError } from './errors'
import { hexText, undouble, unescapeMysql, unescapePostgresql, type QuoteInString } from './escapes'

export type SqlDialect = 'postgresql' | 'mysql'

export type Token =
  /** An unquoted word: a keyword or a bare name, as written. */
  | { readonly kind: 'word', readonly text: string, readonly line: number }
  /** A quoted name ("…" in PostgreSQL, `…` in MySQL), decoded. */
  | { readonly kind: 'name', readonly text: string, readonly line: number }
  /** A string literal (or a MySQL hex literal), decoded. */
  | { readonly kind: 'string', readonly text: string, readonly line: number }
  /** An unsigned number, as written. */
  | { readonly kind: 'number', readonly text: string, readonly line: number }
  /** Any other character: ( ) , ; . : - and the rest. */
  | { readonly kind: 'punct', readonly text: string, readonly line: number }
  | { readonly kind: 'end', readonly line: number }

const WORD_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/
const WORD = /[A-Za-z0-9_$\u0080-\uffff]*/y
const NUMBER = /(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y
const HEX_LITERAL = /0x([0-9a-fA-F]+)/y
const DOLLAR_TAG = /\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/y

/** Marks a token cut by the end of the text pushed so far. */
const INCOMPLETE = Symbol('incomplete')
type Scan<T> = T | typeof INCOMPLETE

class TextBuffer {
  protected buffer = ''
  protected position = 0
  /** The line of `position`, 1-based. */
  line = 1
  /** Whether the whole dump has been pushed: a token cut by the end is then cut for good. */
  protected ended = false

  constructor(private readonly valueChars_max: number) {}

  push(text: string, ended: boolean): void {
    this.buffer = this.buffer.slice(this.position) + text
    this.position = 0
    this.ended = ended
  }

  /**
   * The next whole line without its line ending (a final line may lack one), 'end' at the end of the
   * dump, or undefined when the line has not all arrived yet.
   */
  nextLine(what: string): { readonly text: string, readonly line: number } | 'end' | undefined {
    const line = this.line
    const end = this.buffer.indexOf('\n', this.position)
    if (end === -1) {
      if (!this.ended) {
        this.cut('UNTERMINATED', what)
        return undefined
      }
      if (this.position === this.buffer.length) return 'end'
    }
    const stop = end === -1 ? this.buffer.length : end
    const text = this.buffer.slice(this.position, this.buffer[stop - 1] === '\r' ? stop - 1 : stop)
    this.advance(end === -1 ? stop : end + 1)
    return { text, line }
  }

  /** Moves to `end`, counting the lines passed. */
  protected advance(end: number): void {
    for (let index = this.buffer.indexOf('\n', this.position); index !== -1 && index < end; index = this.buffer.indexOf('\n', index + 1)) {
      this.line++
    }
    this.position = end
  }

  /** A token cut by the end of the buffer: wait for more text, unless there will be none or too much. */
  protected cut(code: 'UNTERMINATED', what: string): typeof INCOMPLETE {
    if (this.ended) throw new DumpError(code, this.line, `${what} not closed at the end of the dump`)
    if (this.buffer.length - this.position > this.valueChars_max) {
      throw new DumpError('TOO_LONG', this.line, `${what} longer than ${this.valueChars_max} characters`)
    }
    return INCOMPLETE
  }
}

export class SqlLexer extends TextBuffer {
  constructor(private readonly dialect: SqlDialect, valueChars_max: number) {
    super(valueChars_max)
  }

  /** The next token, or undefined when the text pushed so far ends inside it. */
  next(): Token | undefined {
    for (;;) {
      const skipped = this.skipBlank()
      if (skipped === INCOMPLETE) return undefined
      if (!skipped) break
    }
    const line = this.line
    const token = this.token(line)
    return token === INCOMPLETE ? undefined : token
  }

  /** Skips whitespace, then one comment or meta-command; whether it skipped a comment. */
  private skipBlank(): Scan<boolean> {
    let start = this.position
    while (start < this.buffer.length && /\s/.test(this.buffer[start]!)) start++
    this.advance(start)
    const here = this.buffer.slice(start, start + 2)
    if (here.length < 2 && !this.ended && (here === '-' || here === '/')) return INCOMPLETE
    const toLineEnd = here === '--' || (this.dialect === 'mysql' && here[0] === '#') ||
      (this.dialect === 'postgresql' && here[0] === '\\')
    if (toLineEnd) {
      const end = this.buffer.indexOf('\n', start)
      if (end === -1 && !this.ended) return this.cut('UNTERMINATED', 'a comment')
      this.advance(end === -1 ? this.buffer.length : end + 1)
      return true
    }
    if (here === '/*') {
      const end = this.buffer.indexOf('*/', start + 2)
      if (end === -1) return this.cut('UNTERMINATED', 'a /* comment')
      this.advance(end + 2)
      return true
    }
    return false
  }

  private token(line: number): Scan<Token> {
    const start = this.position
    const char = this.buffer[start]
    if (char === undefined) return this.ended ? { kind: 'end', line } : INCOMPLETE
    if (char === "'") return this.quoted(start + 1, "'", 'string', line, this.dialect === 'mysql')
    if (char === '"') return this.quoted(start + 1, '"', this.dialect === 'mysql' ? 'string' : 'name', line, this.dialect === 'mysql')
    if (char === '`' && this.dialect === 'mysql') return this.quoted(start + 1, '`', 'name', line, false)
    if (char === '$' && this.dialect === 'postgresql') return this.dollarQuoted(start, line)
    if (/[0-9.]/.test(char)) return this.number(start, line)
    if (WORD_CHAR.test(char)) return this.word(start, line)
    this.advance(start + 1)
    return { kind: 'punct', text: char, line }
  }

  private word(start: number, line: number): Scan<Token> {
    WORD.lastIndex = start
    WORD.exec(this.buffer)
    const end = WORD.lastIndex
    if (end === this.buffer.length && !this.ended) return INCOMPLETE
    const text = this.buffer.slice(start, end)
    // E'…' is PostgreSQL's string with backslash escapes.
    if (this.dialect === 'postgresql' && (text === 'E' || text === 'e') && this.buffer[end] === "'") {
      return this.quoted(end + 1, "'", 'string', line, true)
    }
    this.advance(end)
    return { kind: 'word', text, line }
  }

  private number(start: number, line: number): Scan<Token> {
    HEX_LITERAL.lastIndex = start
    NUMBER.lastIndex = start
    const hex = this.dialect === 'mysql' ? HEX_LITERAL.exec(this.buffer) : null
    const number = hex ?? NUMBER.exec(this.buffer)
    const end = hex ? HEX_LITERAL.lastIndex : NUMBER.lastIndex
    if (!number) {
      this.advance(start + 1)
      return { kind: 'punct', text: '.', line }
    }
    // A number is not over while the text pushed so far might go on with more of it.
    if (end >= this.buffer.length - 2 && !this.ended) return INCOMPLETE
    if (WORD_CHAR.test(this.buffer[end] ?? ' ')) throw new DumpError('BAD_SYNTAX', line, `a number run into a word: ${this.buffer.slice(start, end + 1)}`)
    this.advance(end)
    return hex ? { kind: 'string', text: hexText(hex[1]!, line), line } : { kind: 'number', text: number[0], line }
  }

  /** A quoted string or name from `from` (just past the opening quote) to its closing quote. */
  private quoted(from: number, quote: "'" | '"' | '`', kind: 'string' | 'name', line: number, backslashes: boolean): Scan<Token> {
    const what = kind === 'name' ? 'a quoted name' : 'a string'
    for (let index = from; index < this.buffer.length; index++) {
      const char = this.buffer[index]
      if (char === '\\' && backslashes) {
        index++
      } else if (char === quote) {
        // A quote at the end of what has arrived may be the first of a doubled one.
        if (index + 1 >= this.buffer.length && !this.ended) return this.cut('UNTERMINATED', what)
        if (this.buffer[index + 1] !== quote) return this.closeQuoted(from, index, quote, kind, line, backslashes)
        index++
      }
    }
    return this.cut('UNTERMINATED', what)
  }

  private closeQuoted(from: number, end: number, quote: "'" | '"' | '`', kind: 'string' | 'name', line: number, backslashes: boolean): Token {
    const raw = this.buffer.slice(from, end)
    this.advance(end + 1)
    if (quote === '`') return { kind, text: raw.replaceAll('``', '`'), line }
    const inString: QuoteInString = quote
    const text = !backslashes ? undouble(raw, inString)
      : this.dialect === 'mysql' ? unescapeMysql(raw, line, inString) : unescapePostgresql(raw, line, inString)
    return { kind, text, line }
  }

  /** PostgreSQL's $tag$…$tag$ string (function bodies), or a lone $. */
  private dollarQuoted(start: number, line: number): Scan<Token> {
    DOLLAR_TAG.lastIndex = start
    const tag = DOLLAR_TAG.exec(this.buffer)
    if (!tag) {
      if (!this.ended && /^\$[A-Za-z0-9_]*$/.test(this.buffer.slice(start))) return INCOMPLETE
      this.advance(start + 1)
      return { kind: 'punct', text: '$', line }
    }
    const end = this.buffer.indexOf(tag[0], DOLLAR_TAG.lastIndex)
    if (end === -1) return this.cut('UNTERMINATED', 'a dollar-quoted string')
    this.advance(end + tag[0].length)
    return { kind: 'string', text: this.buffer.slice(start + tag[0].length, end), line }
  }
}
