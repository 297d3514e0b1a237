// Streaming readers of the legacy system's dumps: pg_dump and mysqldump plain SQL, and CSV exports one
// table per file. Each yields the dump's rows in order while holding at most one value (or line) of it,
// and stops at the first fault with a DumpError naming its line.

import { assert } from '../../protocol/errors'
import { VALUE_CHARS_MAX_DEFAULT, type DumpRow } from './model'
import { SqlLexer, type SqlDialect } from './sql-lexer'
import { SqlStatements, type ParserAnswer, type ParserRequest } from './sql-statements'
import { StrictUtf8Decoder } from './utf8'

export interface DumpReadOptions {
  /** The longest value, COPY line or CSV record held in memory, in UTF-16 code units (TOO_LONG past it). */
  readonly valueChars_max?: number
}

/** Chunks of a dump's bytes: a file's Readable (without an encoding set) is one. */
export type DumpBytes = AsyncIterable<Uint8Array>

/** The bytes of each chunk; a Readable with an encoding set hands out strings, whose bytes are lost. */
export async function* chunksOf(input: DumpBytes): AsyncGenerator<Uint8Array> {
  for await (const chunk of input as AsyncIterable<unknown>) {
    if (!(chunk instanceof Uint8Array)) throw new TypeError('a dump is read as bytes: a stream with an encoding set hands out strings')
    yield chunk
  }
}

/** The rows of a pg_dump (`postgresql`) or mysqldump (`mysql`) plain SQL dump, in the dump's order. */
export async function* readSqlDump(input: DumpBytes, dialect: SqlDialect, options: DumpReadOptions = {}): AsyncGenerator<DumpRow> {
  const decoder = new StrictUtf8Decoder()
  const lexer = new SqlLexer(dialect, options.valueChars_max ?? VALUE_CHARS_MAX_DEFAULT)
  const ready: DumpRow[] = []
  const parser = new SqlStatements(row => ready.push(row)).dump()
  let request = parser.next()
  // Answers the parser for as long as the text pushed so far holds what it asks for.
  // The rows read before a fault come out before its error.
  const feed = function* (text: () => string, ended: boolean): Generator<DumpRow> {
    try {
      lexer.push(text(), ended)
      while (request.done !== true) {
        const answer: ParserAnswer | undefined = (request.value satisfies ParserRequest) === 'token' ? lexer.next() : lexer.nextLine('a COPY line')
        if (answer === undefined) break
        request = parser.next(answer)
      }
    } finally {
      yield* ready.splice(0)
    }
  }
  for await (const chunk of chunksOf(input)) yield* feed(() => decoder.decode(chunk), false)
  yield* feed(() => decoder.end(), true)
  assert(request.done === true, 'the whole dump was read')
}
