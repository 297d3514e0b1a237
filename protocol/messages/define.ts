// One way to describe a message: its header, its body layout and (when signed) the Ed25519
// signature over everything before the signature. Each message file only writes its fields.

import { MessageType, PROTOCOL_VERSION, Reader, Writer } from '../codec'
import { ProtocolError } from '../errors'
import { SIGNATURE_BYTES, type Ed25519 } from '../signature/ed25519'

const HEADER_BYTES = 2

export type Signed<T> = T & { readonly signature: Uint8Array }

export interface MessageCodec<T> {
  readonly type: MessageType
  readonly name: string
  /** Upper bound of an encoding, in bytes. */
  readonly size_max: number
  encode(value: T): Uint8Array
  /** Decodes exactly one message: trailing bytes are an error. */
  decode(bytes: Uint8Array): T
  /** Reads one message from a longer input (a message nested in another). */
  read(reader: Reader): T
  write(writer: Writer, value: T): void
}

export interface SignedMessageCodec<T> extends MessageCodec<Signed<T>> {
  /** The bytes the signature covers: header and body. */
  encodeUnsigned(value: T): Uint8Array
  sign(value: T, secretKey: Uint8Array, ed25519: Ed25519): Signed<T>
  verify(value: Signed<T>, publicKey: Uint8Array, ed25519: Ed25519): boolean
}

export interface MessageLayout<T> {
  type: MessageType
  name: string
  body_bytes_max: number
  writeBody(writer: Writer, value: T): void
  readBody(reader: Reader): T
}

function header(writer: Writer, type: MessageType): void {
  writer.u8(type).u8(PROTOCOL_VERSION)
}

function decodeWhole<T>(bytes: Uint8Array, read: (reader: Reader) => T): T {
  const reader = new Reader(bytes)
  const value = read(reader)
  reader.end()
  return value
}

export function defineMessage<T>(layout: MessageLayout<T>): MessageCodec<T> {
  const size_max = HEADER_BYTES + layout.body_bytes_max
  const write = (writer: Writer, value: T): void => {
    header(writer, layout.type)
    layout.writeBody(writer, value)
  }
  const read = (reader: Reader): T => {
    reader.header(layout.type, layout.name)
    return layout.readBody(reader)
  }
  return {
    type: layout.type,
    name: layout.name,
    size_max,
    write,
    read,
    encode(value) {
      const writer = new Writer(size_max)
      write(writer, value)
      return writer.finish()
    },
    decode: bytes => decodeWhole(bytes, read),
  }
}

export function defineSignedMessage<T>(layout: MessageLayout<T>): SignedMessageCodec<T> {
  // The signed bytes are the message as it would be without a signature.
  const unsigned = defineMessage(layout)
  const size_max = unsigned.size_max + SIGNATURE_BYTES
  const write = (writer: Writer, value: Signed<T>): void => {
    unsigned.write(writer, value)
    writer.fixed(value.signature, SIGNATURE_BYTES, `${layout.name} signature`)
  }
  const read = (reader: Reader): Signed<T> => {
    const body = unsigned.read(reader)
    const signature = reader.fixed(SIGNATURE_BYTES, `${layout.name} signature`)
    return { ...body, signature }
  }
  const encodeUnsigned = unsigned.encode
  return {
    type: layout.type,
    name: layout.name,
    size_max,
    write,
    read,
    encodeUnsigned,
    encode(value) {
      const writer = new Writer(size_max)
      write(writer, value)
      return writer.finish()
    },
    decode: bytes => decodeWhole(bytes, read),
    sign(value, secretKey, ed25519) {
      const { signature: _ignored, ...unsigned } = value as T & { signature?: unknown }
      const signature = ed25519.sign(encodeUnsigned(unsigned as T), secretKey)
      return { ...(unsigned as T), signature }
    },
    verify(value, publicKey, ed25519) {
      let unsigned: Uint8Array
      try {
        unsigned = encodeUnsigned(value)
      } catch (error) {
        if (error instanceof ProtocolError) return false
        throw error
      }
      return ed25519.verify(unsigned, value.signature, publicKey)
    },
  }
}
