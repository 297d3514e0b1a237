// Typed errors of the NFC path: Pn532Error for the reader chip and its UART link, NfcLinkError
// for what the tapped phone did. A caller switches on `code`.

import { CodedError } from '../../protocol/errors'

export type Pn532ErrorCode =
  /** No ACK frame after every resend of a command. */
  | 'NO_ACK'
  /** ACKed, but no response frame in time (the command was aborted with an ACK). */
  | 'TIMEOUT'
  /** Bytes that do not make a frame: bad LCS or DCS, a length past the bound, a wrong TFI. */
  | 'BAD_FRAME'
  /** NACK frames kept coming instead of the ACK (a line fault: UM0701 has only the host send NACK). */
  | 'NACKED'
  /** The chip answered its syntax-error frame. */
  | 'SYNTAX_ERROR'
  /** A response frame whose content breaks its command's format. */
  | 'BAD_RESPONSE'
  /** The target left the field: InDataExchange status 01 (timeout) or 2B (card disappeared). */
  | 'TARGET_GONE'
  /** Any other non-zero InDataExchange/InRelease status byte. */
  | 'STATUS'
  /** Too many commands waiting for the chip. */
  | 'BUSY'
  /** The serial port refused a write or was closed. */
  | 'IO'
  | 'BAD_ARGUMENT'

export class Pn532Error extends CodedError<Pn532ErrorCode> {
  override readonly name = 'Pn532Error'
  /** The chip's status byte, for TARGET_GONE and STATUS. */
  readonly status: number | undefined

  constructor(code: Pn532ErrorCode, message: string, options?: { cause?: unknown; status?: number }) {
    super(code, message, options)
    this.status = options?.status
  }
}

export function isPn532Error(value: unknown, code?: Pn532ErrorCode): value is Pn532Error {
  return value instanceof Pn532Error && (code === undefined || value.code === code)
}

export type NfcLinkErrorCode =
  /** Nobody tapped a phone before the wait ran out. */
  | 'NO_PHONE'
  /** The caller aborted the wait. */
  | 'ABORTED'
  /** The phone has no PayAll service: SELECT answered 6A82. */
  | 'NO_PAYALL_APP'
  /** The phone refused SELECT with another status word. */
  | 'SELECT_REFUSED'
  /** The wallet refused the payment request: a non-9000 final status word. */
  | 'PHONE_DECLINED'
  /** The phone's answer broke the APDU rules (length, chaining, status word). */
  | 'BAD_ANSWER'

export class NfcLinkError extends CodedError<NfcLinkErrorCode> {
  override readonly name = 'NfcLinkError'
  /** The phone's status word, for NO_PAYALL_APP, SELECT_REFUSED and PHONE_DECLINED. */
  readonly sw: number | undefined

  constructor(code: NfcLinkErrorCode, message: string, options?: { cause?: unknown; sw?: number }) {
    super(code, message, options)
    this.sw = options?.sw
  }
}

export function isNfcLinkError(value: unknown, code?: NfcLinkErrorCode): value is NfcLinkError {
  return value instanceof NfcLinkError && (code === undefined || value.code === code)
}
