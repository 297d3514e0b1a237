// The PN532 frame format on its host link (NXP UM0701-02 §6.2): normal and extended information
// frames, ACK, NACK and the syntax-error frame, and a streaming parser that takes the UART's bytes
// in any chunking, resynchronises on `00 FF` after garbage and reports a bad frame without throwing.

import { Pn532Error } from './errors'

/** Frame identifier of a host → chip frame. */
export const TFI_HOST_TO_PN532 = 0xd4
/** Frame identifier of a chip → host frame. */
export const TFI_PN532_TO_HOST = 0xd5
/** The one-byte body of the chip's syntax-error frame. */
const SYNTAX_ERROR_BODY = 0x7f

/** A normal frame's LEN (TFI and data) is one byte; past it, the frame is extended. */
const NORMAL_BODY_MAX_BYTES = 0xff
/**
 * The largest body the PN532 handles: TFI, command code, a target or status byte and 262 data
 * bytes (InDataExchange, both ways). Every parser and encoder here is bounded by it.
 */
export const FRAME_BODY_MAX_BYTES = 265

const START_CODE_FIRST = 0x00
const START_CODE_SECOND = 0xff
/** `00 FF LEN LCS` or `00 FF FF FF LENM LENL LCS`, then body, DCS. */
const EXTENDED_HEADER_BYTES = 7
const FRAME_OVERHEAD_MAX_BYTES = 1 + EXTENDED_HEADER_BYTES + 1 + 1

// Fresh copies each time: a shared Uint8Array could be mutated by any caller.
export function ackFrame(): Uint8Array {
  return Uint8Array.of(0x00, 0x00, 0xff, 0x00, 0xff, 0x00)
}

/** The host asks the chip to send its last response frame again. */
export function nackFrame(): Uint8Array {
  return Uint8Array.of(0x00, 0x00, 0xff, 0xff, 0x00, 0x00)
}

/** The chip's answer to a frame it understood at the link level but not at the application level. */
export function syntaxErrorFrame(): Uint8Array {
  return Uint8Array.of(0x00, 0x00, 0xff, 0x01, 0xff, 0x7f, 0x81, 0x00)
}

export type Pn532Frame =
  | { readonly kind: 'ack' }
  | { readonly kind: 'nack' }
  | { readonly kind: 'syntax-error' }
  | {
    readonly kind: 'information'
    /** D4 (host → chip) or D5 (chip → host). */
    readonly tfi: number
    /** PD0…PDn: the command or response code, then its parameters. */
    readonly data: Uint8Array
    readonly extended: boolean
  }

export type ParseEvent =
  | { readonly kind: 'frame'; readonly frame: Pn532Frame }
  | { readonly kind: 'invalid'; readonly error: Pn532Error }

/** An information frame: normal when TFI and data fit LEN's byte, extended past it. */
export function encodeInformationFrame(tfi: number, data: Uint8Array): Uint8Array {
  if (tfi !== TFI_HOST_TO_PN532 && tfi !== TFI_PN532_TO_HOST) {
    throw new Pn532Error('BAD_ARGUMENT', `TFI is D4 or D5, got ${hexByte(tfi)}`)
  }
  if (!(data instanceof Uint8Array) || data.length === 0) {
    throw new Pn532Error('BAD_ARGUMENT', 'an information frame carries at least a command or response code')
  }
  const bodyLength = 1 + data.length
  if (bodyLength > FRAME_BODY_MAX_BYTES) {
    throw new Pn532Error('BAD_ARGUMENT', `a PN532 frame body is at most ${FRAME_BODY_MAX_BYTES} bytes, got ${bodyLength}`)
  }
  const extended = bodyLength > NORMAL_BODY_MAX_BYTES
  const header = extended
    ? [0x00, START_CODE_FIRST, START_CODE_SECOND, 0xff, 0xff, bodyLength >> 8, bodyLength & 0xff, checksum((bodyLength >> 8) + (bodyLength & 0xff))]
    : [0x00, START_CODE_FIRST, START_CODE_SECOND, bodyLength, checksum(bodyLength)]
  const out = new Uint8Array(header.length + bodyLength + 2)
  out.set(header, 0)
  out[header.length] = tfi
  out.set(data, header.length + 1)
  let sum = tfi
  for (const byte of data) sum += byte
  out[header.length + bodyLength] = checksum(sum)
  out[header.length + bodyLength + 1] = 0x00
  return out
}

/** A host → chip command frame: `D4 code params…`. */
export function encodeCommandFrame(code: number, parameters: Uint8Array = new Uint8Array(0)): Uint8Array {
  checkByte(code, 'command code')
  const data = new Uint8Array(1 + parameters.length)
  data[0] = code
  data.set(parameters, 1)
  return encodeInformationFrame(TFI_HOST_TO_PN532, data)
}

/** A chip → host response frame: `D5 code+1 params…`. */
export function encodeResponseFrame(commandCode: number, parameters: Uint8Array = new Uint8Array(0)): Uint8Array {
  checkByte(commandCode, 'command code')
  const data = new Uint8Array(1 + parameters.length)
  data[0] = (commandCode + 1) & 0xff
  data.set(parameters, 1)
  return encodeInformationFrame(TFI_PN532_TO_HOST, data)
}

type FrameAt =
  | { readonly kind: 'incomplete' }
  | { readonly kind: 'invalid'; readonly error: Pn532Error }
  | { readonly kind: 'frame'; readonly frame: Pn532Frame; readonly end: number }

const INCOMPLETE: FrameAt = { kind: 'incomplete' }

/**
 * Streaming parser: push the bytes as they arrive, get the frames (and the bad ones) they complete.
 * Anything before a start code is skipped, so preambles and postambles of any length are. A bad
 * frame is skipped from just after its start code, so a frame cut short does not swallow the next.
 * It holds at most one frame's worth of bytes between pushes.
 */
export class FrameParser {
  readonly #body_bytes_max: number
  #buffer: Uint8Array = new Uint8Array(0)

  constructor(body_bytes_max = FRAME_BODY_MAX_BYTES) {
    if (!Number.isInteger(body_bytes_max) || body_bytes_max < 1 || body_bytes_max > 0xffff) {
      throw new Pn532Error('BAD_ARGUMENT', `the body bound is 1..65535 bytes, got ${body_bytes_max}`)
    }
    this.#body_bytes_max = body_bytes_max
  }

  /** Bytes held while waiting for the rest of a frame. */
  get buffered_bytes(): number {
    return this.#buffer.length
  }

  /** Drops a partial frame, e.g. after a timeout: its rest is not coming. */
  reset(): void {
    this.#buffer = new Uint8Array(0)
  }

  push(chunk: Uint8Array): ParseEvent[] {
    if (!(chunk instanceof Uint8Array)) throw new Pn532Error('BAD_ARGUMENT', 'the parser takes bytes')
    const buffer = concat(this.#buffer, chunk)
    const events: ParseEvent[] = []
    let offset = 0
    // Bounded: every round either ends the loop or moves offset forward.
    for (;;) {
      const start = indexOfStartCode(buffer, offset)
      if (start < 0) {
        // Keep a trailing 00: it may be the first half of a start code.
        offset = buffer.length > offset && buffer[buffer.length - 1] === START_CODE_FIRST ? buffer.length - 1 : buffer.length
        break
      }
      const found = this.#frameAt(buffer, start + 2)
      if (found.kind === 'incomplete') {
        offset = start
        break
      }
      if (found.kind === 'invalid') {
        events.push(found)
        offset = start + 2
        continue
      }
      events.push({ kind: 'frame', frame: found.frame })
      offset = found.end
    }
    this.#buffer = buffer.slice(offset)
    if (this.#buffer.length > this.#body_bytes_max + FRAME_OVERHEAD_MAX_BYTES) {
      throw new Error(`assertion failed: the PN532 parser holds ${this.#buffer.length} bytes`)
    }
    return events
  }

  /** The frame whose LEN is at `at` (just past `00 FF`). */
  #frameAt(buffer: Uint8Array, at: number): FrameAt {
    if (buffer.length < at + 2) return INCOMPLETE
    const len = buffer[at]!
    const lcs = buffer[at + 1]!
    if (len === 0x00 && lcs === 0xff) return { kind: 'frame', frame: { kind: 'ack' }, end: at + 2 }
    if (len === 0xff && lcs === 0x00) return { kind: 'frame', frame: { kind: 'nack' }, end: at + 2 }
    let bodyLength: number
    let bodyStart: number
    const extended = len === 0xff && lcs === 0xff
    if (extended) {
      if (buffer.length < at + 5) return INCOMPLETE
      const lengthHigh = buffer[at + 2]!
      const lengthLow = buffer[at + 3]!
      if (((lengthHigh + lengthLow + buffer[at + 4]!) & 0xff) !== 0) return invalid('the extended frame length fails its LCS')
      bodyLength = (lengthHigh << 8) | lengthLow
      bodyStart = at + 5
    } else {
      if (((len + lcs) & 0xff) !== 0) return invalid(`LEN ${hexByte(len)} fails its LCS ${hexByte(lcs)}`)
      bodyLength = len
      bodyStart = at + 2
    }
    if (bodyLength === 0) return invalid('an information frame has no TFI')
    if (bodyLength > this.#body_bytes_max) return invalid(`a ${bodyLength}-byte body is past the ${this.#body_bytes_max}-byte bound`)
    const dcsAt = bodyStart + bodyLength
    if (buffer.length < dcsAt + 1) return INCOMPLETE
    let sum = 0
    for (let index = bodyStart; index <= dcsAt; index++) sum += buffer[index]!
    if ((sum & 0xff) !== 0) return invalid('the frame data fails its DCS')
    const tfi = buffer[bodyStart]!
    const end = dcsAt + 1
    if (bodyLength === 1 && tfi === SYNTAX_ERROR_BODY) return { kind: 'frame', frame: { kind: 'syntax-error' }, end }
    if (tfi !== TFI_HOST_TO_PN532 && tfi !== TFI_PN532_TO_HOST) return invalid(`unknown TFI ${hexByte(tfi)}`)
    if (bodyLength === 1) return invalid('an information frame has no command or response code')
    const data = buffer.slice(bodyStart + 1, dcsAt)
    return { kind: 'frame', frame: { kind: 'information', tfi, data, extended }, end }
  }
}

function invalid(message: string): FrameAt {
  return { kind: 'invalid', error: new Pn532Error('BAD_FRAME', message) }
}

function indexOfStartCode(buffer: Uint8Array, from: number): number {
  for (let index = from; index + 1 < buffer.length; index++) {
    if (buffer[index] === START_CODE_FIRST && buffer[index + 1] === START_CODE_SECOND) return index
  }
  return -1
}

/** The byte that makes `sum + checksum` zero modulo 256 (LCS and DCS). */
function checksum(sum: number): number {
  return (0x100 - (sum & 0xff)) & 0xff
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b.slice()
  const out = new Uint8Array(a.length + b.length)
  out.set(a, 0)
  out.set(b, a.length)
  return out
}

function checkByte(value: number, field: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xff) throw new Pn532Error('BAD_ARGUMENT', `${field} must be a byte, got ${value}`)
}

export function hexByte(value: number): string {
  return value.toString(16).toUpperCase().padStart(2, '0')
}
