// A CSV export of one legacy table (RFC 4180, a header row of column names) read with csv-parse. An
// empty unquoted field is NULL and a quoted empty one ("") the empty string, as PostgreSQL's CSV COPY
// writes them.

import { CsvError, parse, type Parser } from 'csv-parse'
import { chunksOf, type DumpBytes, type DumpReadOptions } from './dump-reader'
import { DumpError, type DumpErrorCode } from './errors'
import { VALUE_CHARS_MAX_DEFAULT, type DumpRow } from './model'
import { StrictUtf8Decoder } from './utf8'

/** How csv-parse's error codes read as a DumpError's; any other is BAD_SYNTAX. */
const CSV_CODES: Readonly<Record<string, DumpErrorCode>> = {
  CSV_RECORD_INCONSISTENT_FIELDS_LENGTH: 'COLUMN_COUNT',
  CSV_QUOTE_NOT_CLOSED: 'UNTERMINATED',
  CSV_MAX_RECORD_SIZE: 'TOO_LONG',
}

/** Hands the parser some text (or its end), settling once it has parsed it. */
function parseText(parser: Parser, text: string | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (error?: Error | null): void => (error ? reject(error) : resolve())
    if (text === undefined) parser.end(done)
    else parser.write(text, done)
  })
}

/** The rows of `table` from its CSV export, whose first record names the columns. */
export async function* readCsvTable(input: DumpBytes, table: string, options: DumpReadOptions = {}): AsyncGenerator<DumpRow> {
  const records: (string | null)[][] = []
  /** The line the last whole record ended on: a faulty record starts on the next. */
  let recordEndLine = 0
  // csv-parse hands each record over as it completes it, so those before a fault come out before its error.
  const parser = parse({
    cast: (value, context) => (value === '' && !context.quoting ? null : value),
    max_record_size: options.valueChars_max ?? VALUE_CHARS_MAX_DEFAULT,
    on_record: (record: (string | null)[], context) => {
      records.push(record)
      recordEndLine = context.lines
      return undefined
    },
  })
  parser.on('error', () => undefined)
  const decoder = new StrictUtf8Decoder()
  let columns: readonly string[] | undefined
  const rows = function* (): Generator<DumpRow> {
    for (const record of records.splice(0)) {
      if (columns === undefined) columns = record.map(name => name ?? '')
      else yield { table, columns, values: record }
    }
  }
  try {
    for await (const chunk of chunksOf(input)) {
      await parseText(parser, decoder.decode(chunk))
      yield* rows()
    }
    decoder.end()
    await parseText(parser, undefined)
    yield* rows()
  } catch (error) {
    yield* rows()
    if (!(error instanceof CsvError)) throw error
    throw new DumpError(CSV_CODES[error.code] ?? 'BAD_SYNTAX', recordEndLine + 1, error.message)
  }
}
