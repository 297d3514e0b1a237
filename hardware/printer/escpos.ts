// An ESC/POS encoder (Epson ESC/POS command reference): pure functions from what to print to the
// bytes a thermal receipt printer takes, and the layout of a PayAll receipt.

import { concatBytes } from '../../protocol/bytes'
import { CodedError } from '../../protocol/errors'
import { CODE_PAGE_858, encodeCodePage858 } from './code-page-858'

export const LF = 0x0a
export const DLE = 0x10
export const EOT = 0x04
export const ESC = 0x1b
export const GS = 0x1d

export type EscPosErrorCode = 'QR_TOO_LARGE' | 'QR_EMPTY' | 'OUT_OF_RANGE'

export class EscPosError extends CodedError<EscPosErrorCode> {
  override readonly name = 'EscPosError'
}

export type Alignment = 'left' | 'center' | 'right'

const ALIGNMENT: Record<Alignment, number> = { left: 0, center: 1, right: 2 }

/** `GS ( k` QR functions (cn = 49): 065 model, 067 module size, 069 error correction, 080 store, 081 print. */
export const QR_FUNCTION = { model: 0x41, moduleSize: 0x43, errorCorrection: 0x45, store: 0x50, print: 0x51 } as const
/** `GS ( k` error correction levels L, M, Q, H. */
const QR_ERROR_CORRECTION = { L: 0x30, M: 0x31, Q: 0x32, H: 0x33 } as const
/** Byte-mode capacity of the largest QR symbol (version 40) at level M. */
export const QR_DATA_MAX_BYTES = 2331

/** `DLE EOT n` real-time status requests. */
export const STATUS_REQUEST = { printer: 1, offlineCause: 2, errorCause: 3, paperSensor: 4 } as const

function byteIn(value: number, low: number, high: number, what: string): number {
  if (!Number.isInteger(value) || value < low || value > high) {
    throw new EscPosError('OUT_OF_RANGE', `${what} must be an integer in ${low}..${high}, got ${value}`)
  }
  return value
}

/** `ESC @`: clears the buffer and resets the print modes. */
export function initialize(): Uint8Array {
  return Uint8Array.of(ESC, 0x40)
}

/** `ESC t n`: selects a character code table. */
export function selectCodePage(page: number = CODE_PAGE_858): Uint8Array {
  return Uint8Array.of(ESC, 0x74, byteIn(page, 0, 255, 'code page'))
}

/** `ESC a n`. */
export function align(alignment: Alignment): Uint8Array {
  return Uint8Array.of(ESC, 0x61, ALIGNMENT[alignment])
}

/** `ESC E n`: emphasized (bold) on or off. */
export function bold(on: boolean): Uint8Array {
  return Uint8Array.of(ESC, 0x45, on ? 1 : 0)
}

/** `GS ! n`: character size; 0x01 doubles the height, 0x00 is normal. */
export function doubleHeight(on: boolean): Uint8Array {
  return Uint8Array.of(GS, 0x21, on ? 0x01 : 0x00)
}

/** Text in PC858 followed by a line feed. */
function line(text: string): Uint8Array {
  return concatBytes(encodeCodePage858(text.replace(/\n/g, ' ')), Uint8Array.of(LF))
}

/** `ESC d n`: prints the buffer and feeds n lines. */
export function feedLines(count: number): Uint8Array {
  return Uint8Array.of(ESC, 0x64, byteIn(count, 0, 255, 'line count'))
}

/** `GS V 66 n`: feeds to the cutter (plus n motion units) and cuts, leaving one point uncut. */
export function cut(feed_units = 0): Uint8Array {
  return Uint8Array.of(GS, 0x56, 0x42, byteIn(feed_units, 0, 255, 'cut feed'))
}

/** `DLE EOT n`: a real-time status request, answered with one byte even while the printer is offline. */
export function statusRequest(which: number): Uint8Array {
  return Uint8Array.of(DLE, EOT, byteIn(which, 1, 4, 'status request'))
}

function qrFunction(fn: number, parameters: Uint8Array): Uint8Array {
  const length = parameters.length + 2 // cn and fn count in pL pH
  return concatBytes(Uint8Array.of(GS, 0x28, 0x6b, length & 0xff, length >> 8, 0x31, fn), parameters)
}

export interface QrOptions {
  /** Dots per module, 1..16. */
  readonly moduleSize?: number
}

/** A QR code (model 2, error correction M) holding `data`: select model, size, level, store, print. */
export function qrCode(data: string, options: QrOptions = {}): Uint8Array {
  const bytes = new TextEncoder().encode(data)
  if (bytes.length === 0) throw new EscPosError('QR_EMPTY', 'a QR code needs data')
  if (bytes.length > QR_DATA_MAX_BYTES) {
    throw new EscPosError('QR_TOO_LARGE', `${bytes.length} bytes exceed the ${QR_DATA_MAX_BYTES} a QR code holds at level M`)
  }
  return concatBytes(
    qrFunction(QR_FUNCTION.model, Uint8Array.of(0x32, 0x00)),
    qrFunction(QR_FUNCTION.moduleSize, Uint8Array.of(byteIn(options.moduleSize ?? 6, 1, 16, 'QR module size'))),
    qrFunction(QR_FUNCTION.errorCorrection, Uint8Array.of(QR_ERROR_CORRECTION.M)),
    qrFunction(QR_FUNCTION.store, concatBytes(Uint8Array.of(0x30), bytes)),
    qrFunction(QR_FUNCTION.print, Uint8Array.of(0x30)),
  )
}

export interface ReceiptLayout {
  readonly qrPayload?: string
  readonly qrModuleSize?: number
  /** Blank lines fed before the cut, so the last line clears the cutter. */
  readonly feedBeforeCut?: number
}

/**
 * A whole receipt: the first line as a centred, bold, double-height title, the other lines left
 * aligned, then the QR code centred, a feed and a cut. Starts with `ESC @` so a half-printed
 * earlier job leaves no mode behind.
 */
export function receiptBytes(text: string, layout: ReceiptLayout = {}): Uint8Array {
  const lines = text.replace(/\n+$/, '').split('\n')
  const [title, ...body] = lines
  const parts: Uint8Array[] = [initialize(), selectCodePage(CODE_PAGE_858)]
  if (title !== undefined && title !== '') {
    parts.push(align('center'), bold(true), doubleHeight(true), line(title), doubleHeight(false), bold(false))
  }
  parts.push(align('left'), ...body.map(line))
  if (layout.qrPayload !== undefined) {
    parts.push(feedLines(1), align('center'), qrCode(layout.qrPayload, { moduleSize: layout.qrModuleSize ?? 6 }), align('left'))
  }
  parts.push(feedLines(layout.feedBeforeCut ?? 3), cut())
  return concatBytes(...parts)
}
