// The canonical binary codec: fixed-width big-endian integers, fixed-size byte fields and
// length-prefixed lists, so every value has exactly one encoding and ids and signatures are stable.

import { ProtocolError } from './errors'

/** Every message starts with these two bytes: what it is, and which layout it uses. */
export const MessageType = {
  Voucher: 0x01,
  PaymentRequest: 0x02,
  Authorization: 0x03,
  TransferRecord: 0x04,
  ChainHead: 0x05,
  RecordBatch: 0x06,
  Ack: 0x07,
  RevocationList: 0x08,
  RiskConfig: 0x09,
  CommitmentFrame: 0x0a,
  PaymentResponse: 0x0b,
  OnlineAuthorizationRequest: 0x0c,
  OnlineAuthorizationResponse: 0x0d,
  ProofBundle: 0x0e,
  RefundRequest: 0x0f,
  RefundResponse: 0x10,
  LoraRevocation: 0x11,
  ProofRequest: 0x12,
  RevocationDelta: 0x13,
  RevocationCatchUpRequest: 0x14,
  GatewayPresence: 0x15,
  UpdateKey: 0x16,
  UpdateManifest: 0x17,
  OnlineVoidRequest: 0x18,
  OnlineVoidResponse: 0x19,
} as const
export type MessageType = (typeof MessageType)[keyof typeof MessageType]

export const PROTOCOL_VERSION = 1

const U48_MAX = 2 ** 48 - 1

/** A writer over a buffer of fixed capacity: an encoder that outgrows it is a bug, not a resize. */
export class Writer {
  private readonly bytes: Uint8Array
  private readonly view: DataView
  private offset = 0

  constructor(capacity_bytes: number) {
    this.bytes = new Uint8Array(capacity_bytes)
    this.view = new DataView(this.bytes.buffer)
  }

  private reserve(length: number): number {
    const at = this.offset
    if (at + length > this.bytes.length) {
      throw new ProtocolError('BAD_LENGTH', `encoder overflow: ${at + length} > ${this.bytes.length} bytes`)
    }
    this.offset = at + length
    return at
  }

  u8(value: number): this {
    checkUnsigned(value, 0xff, 'u8')
    this.view.setUint8(this.reserve(1), value)
    return this
  }

  u16(value: number): this {
    checkUnsigned(value, 0xffff, 'u16')
    this.view.setUint16(this.reserve(2), value)
    return this
  }

  u32(value: number): this {
    checkUnsigned(value, 0xffffffff, 'u32')
    this.view.setUint32(this.reserve(4), value)
    return this
  }

  /** An unsigned integer up to 2^53-1 in eight bytes (money, milliseconds). */
  u64(value: number): this {
    checkUnsigned(value, Number.MAX_SAFE_INTEGER, 'u64')
    const at = this.reserve(8)
    this.view.setUint32(at, Math.floor(value / 2 ** 32))
    this.view.setUint32(at + 4, value >>> 0)
    return this
  }

  /** Six bytes: amounts in the LoRa frame, where every byte counts. */
  u48(value: number): this {
    checkUnsigned(value, U48_MAX, 'u48')
    const at = this.reserve(6)
    this.view.setUint16(at, Math.floor(value / 2 ** 32))
    this.view.setUint32(at + 2, value >>> 0)
    return this
  }

  /** Exactly `length` bytes: fixed-size fields such as keys, hashes and signatures. */
  fixed(value: Uint8Array, length: number, field: string): this {
    if (!(value instanceof Uint8Array) || value.length !== length) {
      throw new ProtocolError('BAD_LENGTH', `${field} must be ${length} bytes`)
    }
    this.bytes.set(value, this.reserve(length))
    return this
  }

  /** A u16 length then the bytes, at most `length_max`. */
  variable(value: Uint8Array, length_max: number, field: string): this {
    if (!(value instanceof Uint8Array) || value.length > length_max) {
      throw new ProtocolError('BAD_LENGTH', `${field} must be at most ${length_max} bytes`)
    }
    this.u16(value.length)
    this.bytes.set(value, this.reserve(value.length))
    return this
  }

  /** Raw bytes with no length: a nested message whose own layout delimits it. */
  raw(value: Uint8Array): this {
    this.bytes.set(value, this.reserve(value.length))
    return this
  }

  get length(): number {
    return this.offset
  }

  finish(): Uint8Array {
    return this.bytes.slice(0, this.offset)
  }
}

function checkUnsigned(value: number, max: number, kind: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new ProtocolError('OUT_OF_RANGE', `${String(value)} does not fit ${kind}`)
  }
}

/** A bounds-checked reader: every read past the end is a typed TRUNCATED error. */
export class Reader {
  private readonly view: DataView
  private offset = 0

  constructor(private readonly bytes: Uint8Array) {
    if (!(bytes instanceof Uint8Array)) throw new ProtocolError('BAD_VALUE', 'input must be bytes')
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }

  private take(length: number, field: string): number {
    const at = this.offset
    if (at + length > this.bytes.length) {
      throw new ProtocolError('TRUNCATED', `input ends inside ${field} (needs ${at + length} bytes, has ${this.bytes.length})`)
    }
    this.offset = at + length
    return at
  }

  get position(): number {
    return this.offset
  }

  get remaining(): number {
    return this.bytes.length - this.offset
  }

  u8(field: string): number {
    return this.view.getUint8(this.take(1, field))
  }

  u16(field: string): number {
    return this.view.getUint16(this.take(2, field))
  }

  u32(field: string): number {
    return this.view.getUint32(this.take(4, field))
  }

  u64(field: string): number {
    const at = this.take(8, field)
    const high = this.view.getUint32(at)
    const low = this.view.getUint32(at + 4)
    if (high > 0x1fffff) throw new ProtocolError('OUT_OF_RANGE', `${field} exceeds 2^53-1`)
    return high * 2 ** 32 + low
  }

  u48(field: string): number {
    const at = this.take(6, field)
    return this.view.getUint16(at) * 2 ** 32 + this.view.getUint32(at + 2)
  }

  fixed(length: number, field: string): Uint8Array {
    const at = this.take(length, field)
    return this.bytes.slice(at, at + length)
  }

  variable(length_max: number, field: string): Uint8Array {
    const length = this.u16(`${field} length`)
    if (length > length_max) throw new ProtocolError('BAD_LENGTH', `${field} is ${length} bytes, at most ${length_max}`)
    return this.fixed(length, field)
  }

  /** The bytes from `start` to the current position, as read (for signatures over a prefix). */
  slice(start: number): Uint8Array {
    return this.bytes.slice(start, this.offset)
  }

  /** Reads the two header bytes and checks them. */
  header(expected: MessageType, name: string): void {
    const type = this.u8('message type')
    if (type !== expected) {
      throw new ProtocolError('UNKNOWN_TYPE', `expected ${name} (0x${hex2(expected)}), got 0x${hex2(type)}`)
    }
    const version = this.u8('version')
    if (version !== PROTOCOL_VERSION) throw new ProtocolError('UNKNOWN_VERSION', `${name} version ${version} is not supported`)
  }

  /** Decoding is complete only when every byte was consumed. */
  end(): void {
    if (this.offset !== this.bytes.length) {
      throw new ProtocolError('TRAILING_BYTES', `${this.bytes.length - this.offset} unexpected byte(s) after the message`)
    }
  }
}

function hex2(value: number): string {
  return value.toString(16).padStart(2, '0')
}

/** The message type byte of an encoded message, checked against the known types. */
export function peekMessageType(bytes: Uint8Array): MessageType {
  if (!(bytes instanceof Uint8Array) || bytes.length < 2) throw new ProtocolError('TRUNCATED', 'no message header')
  const type = bytes[0]!
  if (!(Object.values(MessageType) as number[]).includes(type)) {
    throw new ProtocolError('UNKNOWN_TYPE', `unknown message type 0x${hex2(type)}`)
  }
  return type as MessageType
}
