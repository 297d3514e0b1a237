// The PayAll GATT service a customer's phone advertises, and how a message crosses it: a 2-byte
// big-endian length, then the message, cut into writes (or notifications) of at most MTU - 3 bytes.
// The terminal writes the PaymentRequest to the request characteristic; the phone notifies the
// PaymentResponse on the response characteristic.

import { CodedError } from '../../protocol/errors'

/** 128-bit UUIDs in noble's form (lowercase hex, no dashes); the service is 506c5b5a-0001-…. */
export const PAYALL_SERVICE_UUID = '506c5b5a000143e1aae1b6b4d1a69f56'
export const PAYALL_REQUEST_CHARACTERISTIC_UUID = '506c5b5a000243e1aae1b6b4d1a69f56'
export const PAYALL_RESPONSE_CHARACTERISTIC_UUID = '506c5b5a000343e1aae1b6b4d1a69f56'

/** ATT's default MTU: every BLE link carries at least 23 - 3 = 20 bytes per write. */
export const ATT_MTU_DEFAULT = 23
/** ATT's largest MTU (Bluetooth Core 5.x, ATT_MTU max 517). */
const ATT_MTU_MAX = 517
const LENGTH_PREFIX_BYTES = 2

/** A PaymentRequest is under 100 bytes; a PaymentResponse (voucher and authorization) under 400. */
export const REQUEST_MAX_BYTES = 512
export const RESPONSE_MAX_BYTES = 2048

export type BleErrorCode =
  | 'NOT_POWERED' // the adapter never reached poweredOn
  | 'NO_PHONE' // no phone advertising the PayAll service came in range in time
  | 'NO_SERVICE' // the phone connected but lacks the PayAll characteristics
  | 'DISCONNECTED' // the phone went away before the exchange finished
  | 'TIMEOUT' // a step (connect, discovery, the answer) took too long
  | 'TOO_LARGE' // a message longer than its bound
  | 'BAD_FRAME' // a length prefix or a chunk that does not add up
  | 'LINK_ERROR' // the adapter or the link failed in a way noble reports as a plain error

export class BleError extends CodedError<BleErrorCode> {
  override readonly name = 'BleError'
}

/** Cuts a message into length-prefixed chunks of at most `mtu - 3` bytes. */
export function frameChunks(message: Uint8Array, mtu: number, max_bytes: number): Uint8Array[] {
  if (message.length === 0) throw new BleError('BAD_FRAME', 'an empty message')
  if (message.length > max_bytes) throw new BleError('TOO_LARGE', `${message.length} bytes exceed ${max_bytes}`)
  const chunk_bytes = Math.min(Math.max(mtu, ATT_MTU_DEFAULT), ATT_MTU_MAX) - 3
  const framed = new Uint8Array(LENGTH_PREFIX_BYTES + message.length)
  framed[0] = message.length >> 8
  framed[1] = message.length & 0xff
  framed.set(message, LENGTH_PREFIX_BYTES)
  const chunks: Uint8Array[] = []
  for (let offset = 0; offset < framed.length; offset += chunk_bytes) chunks.push(framed.subarray(offset, offset + chunk_bytes))
  return chunks
}

/** Reassembles chunks into one message; never holds more than `max_bytes`. */
export class FrameAssembler {
  private expected_bytes: number | undefined
  private received: Uint8Array = new Uint8Array(0)
  private header: number[] = []

  constructor(private readonly max_bytes: number) {}

  /** Adds a chunk; returns the whole message once complete. Throws BAD_FRAME or TOO_LARGE. */
  push(chunk: Uint8Array): Uint8Array | undefined {
    if (chunk.length === 0) throw new BleError('BAD_FRAME', 'an empty chunk')
    let body = chunk
    if (this.expected_bytes === undefined) {
      const needed = LENGTH_PREFIX_BYTES - this.header.length
      this.header.push(...chunk.subarray(0, needed))
      body = chunk.subarray(needed)
      if (this.header.length < LENGTH_PREFIX_BYTES) return undefined
      const length = (this.header[0]! << 8) | this.header[1]!
      if (length === 0) throw new BleError('BAD_FRAME', 'a message of length 0')
      if (length > this.max_bytes) throw new BleError('TOO_LARGE', `a ${length}-byte message exceeds ${this.max_bytes}`)
      this.expected_bytes = length
      this.received = new Uint8Array(0)
    }
    const expected = this.expected_bytes
    if (this.received.length + body.length > expected) {
      throw new BleError('BAD_FRAME', `${this.received.length + body.length} bytes arrived for a ${expected}-byte message`)
    }
    const next = new Uint8Array(this.received.length + body.length)
    next.set(this.received)
    next.set(body, this.received.length)
    this.received = next
    if (this.received.length < expected) return undefined
    const message = this.received
    this.expected_bytes = undefined
    this.header = []
    this.received = new Uint8Array(0)
    return message
  }
}
