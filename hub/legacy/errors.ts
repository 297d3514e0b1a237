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

  constructor(code: DumpErrorCode, line: number, message: string) {
    super(code, `line ${line}: ${message}`)
    this.line = line
  }
}
