// Typed errors for everything that crosses a boundary: a caller switches on `code`,
// never on the message text.

export type ProtocolErrorCode =
  // codec
  | 'TRUNCATED'
  | 'TRAILING_BYTES'
  | 'OUT_OF_RANGE'
  | 'UNKNOWN_TYPE'
  | 'UNKNOWN_VERSION'
  | 'BAD_LENGTH'
  | 'BAD_VALUE'
  | 'TOO_MANY'
  // money
  | 'MONEY_NOT_INTEGER'
  | 'MONEY_NEGATIVE'
  | 'MONEY_OVERFLOW'
  | 'MONEY_PRECISION'
  | 'MONEY_FORMAT'
  | 'UNKNOWN_CURRENCY'
  // identities, signatures, chains
  | 'BAD_KEY'
  | 'BAD_SIGNATURE'
  | 'BAD_EUI'
  | 'CHAIN_GAP'
  | 'CHAIN_FORK'
  | 'CHAIN_TAMPERED'
  // wire helpers
  | 'BAD_TOPIC'
  | 'BAD_APDU'
  | 'BAD_PROOF'
  // TLS: a certificate that cannot be read, a server that is not the one pinned
  | 'BAD_CERTIFICATE'
  | 'CERT_NOT_PINNED'

/**
 * An error with a stable code a caller switches on, and a plain message for people that does not
 * repeat the code: a person reads both once through errorText, a log carries `code` as a field.
 * Each part of the system narrows `Code` to its own union (ProtocolError, LedgerError, …).
 */
export class CodedError<Code extends string> extends Error {
  readonly code: Code

  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
  }
}

/** How a person reads a code with its message, once each, wherever they are shown together (CLIs, the terminal's log). */
export function codedText(code: string, message: string): string {
  return `${code}: ${message}`
}

/** A thrown value as a person reads it, on one line: codedText when it has a code, else the message. */
export function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const { code } = error as { code?: unknown }
  if (typeof code !== 'string' || code === '') return error.message
  // Node's own errors (ENOENT, EADDRINUSE…) already name their code in the message.
  if (!(error instanceof CodedError) && error.message.includes(code)) return error.message
  return codedText(code, error.message)
}

export class ProtocolError extends CodedError<ProtocolErrorCode> {
  override readonly name = 'ProtocolError'
}

export function isProtocolError(value: unknown, code?: ProtocolErrorCode): value is ProtocolError {
  return value instanceof ProtocolError && (code === undefined || value.code === code)
}

/** An invariant on the money path: kept on in production, never a user-facing error. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`assertion failed: ${message}`)
}

/**
 * SQLite's result code (SQLITE_BUSY, SQLITE_FULL, SQLITE_IOERR_…) of an error better-sqlite3 threw, or undefined
 * for any other error. By the error's name, so a module can tell without importing the driver.
 */
export function sqliteCodeOf(error: unknown): string | undefined {
  if (!(error instanceof Error) || error.name !== 'SqliteError') return undefined
  const code = (error as { code?: unknown }).code
  return typeof code === 'string' ? code : undefined
}
