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

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError'
  readonly code: ProtocolErrorCode

  constructor(code: ProtocolErrorCode, message: string) {
    super(`${code}: ${message}`)
    this.code = code
  }
}

export function isProtocolError(value: unknown, code?: ProtocolErrorCode): value is ProtocolError {
  return value instanceof ProtocolError && (code === undefined || value.code === code)
}

/** An invariant on the money path: kept on in production, never a user-facing error. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`assertion failed: ${message}`)
}
