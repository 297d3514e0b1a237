// The statements of a pg_dump or mysqldump file that hold rows (INSERT, REPLACE, COPY … FROM stdin)
// and those that name a table's columns (CREATE TABLE); every other statement is skipped whole.
// Written as a generator that asks for one token or COPY line at a time, so that the reader can feed
// it text as the text arrives.

import { copyFields, END_OF_COPY } from './copy-text'
import { DumpError } from './errors'
import type { DumpRow } from './model'
import type { Token } from './sql-lexer'

/** What the parser asks for next: a token, or a whole line (COPY data). */
export type ParserRequest = 'token' | 'line'
export type ParserAnswer = Token | { readonly text: string, readonly line: number } | 'end'
type Steps<T> = Generator<ParserRequest, T, ParserAnswer>

/** The words that open a constraint, not a column, in a CREATE TABLE's list. */
const NOT_A_COLUMN = new Set(['CONSTRAINT', 'PRIMARY', 'KEY', 'UNIQUE', 'INDEX', 'FOREIGN', 'CHECK', 'FULLTEXT', 'SPATIAL', 'EXCLUDE', 'LIKE'])

function isPunct(token: Token, text: string): boolean {
  return token.kind === 'punct' && token.text === text
}

function keyword(token: Token): string {
  return token.kind === 'word' ? token.text.toUpperCase() : ''
}

function describe(token: Token): string {
  return token.kind === 'end' ? 'the end of the dump' : `${token.kind} ${JSON.stringify(token.text)}`
}

export class SqlStatements {
  private lookahead: Token | undefined
  /** Each table's columns as its CREATE TABLE lists them, for the INSERTs that list none. */
  private readonly createdColumns = new Map<string, readonly string[]>()

  constructor(private readonly emit: (row: DumpRow) => void) {}

  *dump(): Steps<void> {
    for (;;) {
      const first = yield* this.take()
      if (first.kind === 'end') return
      const word = keyword(first)
      if (word === 'INSERT' || word === 'REPLACE') yield* this.insert(first)
      else if (word === 'COPY') yield* this.copy(first)
      else if (word === 'CREATE') yield* this.create(first)
      else if (!isPunct(first, ';')) yield* this.skipStatement(first)
    }
  }

  private *take(): Steps<Token> {
    const token = this.lookahead ?? (yield 'token') as Token
    this.lookahead = undefined
    return token
  }

  private *peek(): Steps<Token> {
    this.lookahead ??= (yield 'token') as Token
    return this.lookahead
  }

  private *expect(text: string, statement: Token): Steps<Token> {
    const token = yield* this.take()
    const matches = token.kind === 'punct' ? token.text === text : keyword(token) === text
    if (matches) return token
    if (token.kind === 'end') throw new DumpError('UNTERMINATED', statement.line, 'a statement cut short by the end of the dump')
    throw new DumpError('BAD_SYNTAX', token.line, `${describe(token)} where ${text} was expected`)
  }

  /** Skips to the end of a statement, `first` being a token already taken from it. */
  private *skipStatement(first: Token): Steps<void> {
    for (let token = first; !isPunct(token, ';'); token = yield* this.take()) {
      if (token.kind === 'end') throw new DumpError('UNTERMINATED', first.line, 'a statement cut short by the end of the dump')
    }
  }

  /** A table name, perhaps schema-qualified; the table's own name. */
  private *tableName(): Steps<string> {
    for (;;) {
      const part = yield* this.take()
      if (part.kind !== 'word' && part.kind !== 'name') throw new DumpError('BAD_SYNTAX', part.line, `${describe(part)} where a table name was expected`)
      if (!isPunct(yield* this.peek(), '.')) return part.text
      yield* this.take()
    }
  }

  /** A parenthesised list of column names, the opening parenthesis next. */
  private *columnList(statement: Token): Steps<string[]> {
    yield* this.expect('(', statement)
    const columns: string[] = []
    for (;;) {
      const name = yield* this.take()
      if (name.kind !== 'word' && name.kind !== 'name') throw new DumpError('BAD_SYNTAX', name.line, `${describe(name)} where a column name was expected`)
      columns.push(name.text)
      const after = yield* this.take()
      if (isPunct(after, ')')) return columns
      if (!isPunct(after, ',')) throw new DumpError('BAD_SYNTAX', after.line, `${describe(after)} in a column list`)
    }
  }

  /** The statement's column list if it has one, else the columns its table was created with. */
  private *columnsOf(table: string, statement: Token): Steps<readonly string[]> {
    if (isPunct(yield* this.peek(), '(')) return yield* this.columnList(statement)
    const created = this.createdColumns.get(table)
    if (created === undefined) throw new DumpError('UNKNOWN_COLUMNS', statement.line, `rows for table ${table}, which lists no columns and was not created earlier in the dump`)
    return created
  }

  /** INSERT [IGNORE] INTO t [(cols)] VALUES (…), (…); and REPLACE [INTO] …; anything after the rows is skipped. */
  private *insert(statement: Token): Steps<void> {
    let next = yield* this.take()
    if (keyword(next) === 'IGNORE') next = yield* this.take()
    if (keyword(next) !== 'INTO' && keyword(statement) === 'INSERT') throw new DumpError('BAD_SYNTAX', next.line, `${describe(next)} after INSERT`)
    if (keyword(next) !== 'INTO') this.lookahead = next
    const table = yield* this.tableName()
    const columns = yield* this.columnsOf(table, statement)
    const values = yield* this.take()
    if (keyword(values) !== 'VALUES' && keyword(values) !== 'VALUE') throw new DumpError('BAD_SYNTAX', values.line, `${describe(values)} where VALUES was expected`)
    for (;;) {
      const open = yield* this.expect('(', statement)
      this.emit({ table, columns, values: yield* this.tuple(columns.length, open.line) })
      const after = yield* this.take()
      if (isPunct(after, ';')) return
      if (!isPunct(after, ',')) return yield* this.skipStatement(after)
    }
  }

  /** The values of one row, its opening parenthesis taken. */
  private *tuple(width: number, line: number): Steps<(string | null)[]> {
    const values: (string | null)[] = []
    if (isPunct(yield* this.peek(), ')')) yield* this.take()
    else {
      for (;;) {
        values.push(yield* this.value())
        const after = yield* this.take()
        if (isPunct(after, ')')) break
        if (after.kind === 'end') throw new DumpError('UNTERMINATED', line, 'a row cut short by the end of the dump')
        if (!isPunct(after, ',')) throw new DumpError('BAD_SYNTAX', after.line, `${describe(after)} after a value`)
      }
    }
    if (values.length !== width) throw new DumpError('COLUMN_COUNT', line, `a row of ${values.length} values for ${width} columns`)
    return values
  }

  /** One literal value, with any PostgreSQL cast after it (`'2020-01-01'::date`) skipped. */
  private *value(): Steps<string | null> {
    const token = yield* this.take()
    const value = yield* this.literal(token)
    while (isPunct(yield* this.peek(), ':')) {
      yield* this.take()
      yield* this.expect(':', token)
      yield* this.skipType()
    }
    return value
  }

  private *literal(token: Token): Steps<string | null> {
    const word = keyword(token)
    if (token.kind === 'string' || token.kind === 'number') return token.text
    if (word === 'NULL') return null
    if (word === 'TRUE' || word === 'FALSE') return word.toLowerCase()
    if ((token.kind === 'punct' && (token.text === '-' || token.text === '+'))) {
      const number = yield* this.take()
      if (number.kind === 'number') return token.text === '-' ? `-${number.text}` : number.text
    }
    // A MySQL character set introducer: _binary '…', _utf8mb4 '…'.
    if (token.kind === 'word' && token.text.startsWith('_')) {
      const string = yield* this.take()
      if (string.kind === 'string') return string.text
    }
    if (token.kind === 'end') throw new DumpError('UNTERMINATED', token.line, 'a row cut short by the end of the dump')
    throw new DumpError('BAD_SYNTAX', token.line, `${describe(token)} where a value was expected`)
  }

  /** A cast's type name, up to the comma or parenthesis that ends the value. */
  private *skipType(): Steps<void> {
    for (let depth = 0; ;) {
      const token = yield* this.peek()
      if (depth === 0 && (isPunct(token, ',') || isPunct(token, ')'))) return
      if (token.kind === 'end' || isPunct(token, ';')) throw new DumpError('BAD_SYNTAX', token.line, `${describe(token)} in a cast`)
      if (isPunct(token, '(') || isPunct(token, '[')) depth++
      if (isPunct(token, ')') || isPunct(token, ']')) depth--
      yield* this.take()
    }
  }

  /** COPY t [(cols)] FROM stdin; then its data lines up to \. */
  private *copy(statement: Token): Steps<void> {
    const table = yield* this.tableName()
    const columns = yield* this.columnsOf(table, statement)
    const from = yield* this.take()
    if (keyword(from) !== 'FROM') return yield* this.skipStatement(from)
    yield* this.expect('STDIN', statement)
    yield* this.expect(';', statement)
    const rest = (yield 'line') as ParserAnswer
    if (rest !== 'end' && 'text' in rest && rest.text.trim() !== '') throw new DumpError('BAD_SYNTAX', rest.line, 'more after COPY … FROM stdin;')
    for (;;) {
      const line = (yield 'line') as ParserAnswer
      if (line === 'end' || !('text' in line)) throw new DumpError('UNTERMINATED', statement.line, `COPY data with no ${END_OF_COPY} line`)
      if (line.text === END_OF_COPY) return
      this.emit({ table, columns, values: copyFields(line.text, line.line, columns.length) })
    }
  }

  /** CREATE TABLE: remembers its columns; other CREATEs are skipped. */
  private *create(statement: Token): Steps<void> {
    let token = yield* this.take()
    while (['TEMPORARY', 'TEMP', 'UNLOGGED', 'GLOBAL', 'LOCAL'].includes(keyword(token))) token = yield* this.take()
    if (keyword(token) !== 'TABLE') return yield* this.skipStatement(token)
    if (keyword(yield* this.peek()) === 'IF') {
      yield* this.expect('IF', statement)
      yield* this.expect('NOT', statement)
      yield* this.expect('EXISTS', statement)
    }
    const table = yield* this.tableName()
    const open = yield* this.take()
    if (!isPunct(open, '(')) return yield* this.skipStatement(open)
    this.createdColumns.set(table, yield* this.createdList(statement))
    yield* this.skipStatement(yield* this.take())
  }

  /** The column names in a CREATE TABLE's list, its opening parenthesis taken, up to its closing one. */
  private *createdList(statement: Token): Steps<string[]> {
    const columns: string[] = []
    for (let depth = 1, elementStart = true; depth > 0;) {
      const token = yield* this.take()
      if (token.kind === 'end') throw new DumpError('UNTERMINATED', statement.line, 'a CREATE TABLE cut short by the end of the dump')
      if (elementStart && (token.kind === 'name' || (token.kind === 'word' && !NOT_A_COLUMN.has(keyword(token))))) columns.push(token.text)
      elementStart = depth === 1 && isPunct(token, ',')
      if (isPunct(token, '(')) depth++
      if (isPunct(token, ')')) depth--
    }
    return columns
  }
}
