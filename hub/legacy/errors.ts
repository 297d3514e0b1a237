// Typed errors of the legacy dump readers: what is wrong with a dump, and on which line. A reader that
// throws one has yielded no row from that line on (and the SQL readers every row before it).

import { CodedError } from '../../protocol/errors'

export type DumpErrorCode =
  /** Bytes that are not UTF-8, or an escape that spells bytes that are not. */
  | 'BAD_UTF8'
  /** A string, quoted name, comment, statement or COPY block still open at the end of the dump. */
  | 'UNTERMINATED'
  /** Something a row cannot be read from: an unknown value form, a bad escape, a malformed INSERT or COPY. */
  | 'BAD_SYNTAX'
  /** A row with more or fewer values than its table has columns. */
  | 'COLUMN_COUNT'
  /** An INSERT with no column list for a table whose CREATE TABLE the dump has not shown. */
  | 'UNKNOWN_COLUMNS'
  /** One value, line or statement piece longer than the reader holds in memory. */
  | 'TOO_LONG'

/** A dump the reader refuses, with the 1-based line where the fault is (where a string or a row starts). */
export class DumpError extends CodedError<DumpErrorCode> {
  override readonly name = 'DumpError'
  readonly line: number
  /** The file the fault is in, once the import knows it. */
  source: string | undefined

  constructor(code: DumpErrorCode, line: number, message: string) {
    super(code, `line ${line}: ${message}`)
    this.line = line
  }
}

export type ImportErrorCode =
  /** A dump or CSV file that is not there or cannot be read. */
  | 'NO_FILE'
  /** A table without a column the import needs: not the legacy system's layout. */
  | 'NOT_LEGACY_LAYOUT'
  /** The command line names no source, or a currency PayAll does not know. */
  | 'BAD_ARGUMENTS'
  /** The ledger does not verify after the import: nothing of it is kept. */
  | 'LEDGER_UNBALANCED'

/** An import that cannot go on: nothing of it is written. */
export class ImportError extends CodedError<ImportErrorCode> {
  override readonly name = 'ImportError'
}
