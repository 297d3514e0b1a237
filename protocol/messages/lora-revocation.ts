// LoraRevocation: the vouchers a revocation list added, as hub-signed LoRaWAN downlinks, so a
// gateway with LoRa but no IP still learns of them (DESIGN "LoRa"). The full RevocationList is
// far too large for a downlink: this carries only what list `serial` revoked anew, split in
// `parts` signed messages when many vouchers were revoked at once. A signed message is cut into
// fragments of a downlink's size (51 bytes at EU868 DR0), each with a 4-byte header
// (message id u16, index u8, count u8), and put together again on the gateway, within bounds.

import { compareBytes, concatBytes } from '../bytes'
import { MessageType, Reader, Writer } from '../codec'
import { ProtocolError } from '../errors'
import { LORA_PAYLOAD_BYTES_MAX } from './commitment-frame'
import { defineSignedMessage, type Signed } from './define'
import { ID_BYTES } from './fields'

/** Voucher ids per signed message: 16 keep one message within 8 downlinks at DR0. */
export const LORA_REVOCATION_IDS_MAX = 16
/** Signed messages per revocation list: at most 16 × 16 = 256 vouchers revoked at once go by LoRa. */
export const LORA_REVOCATION_PARTS_MAX = 16
export const LORA_FRAGMENT_HEADER_BYTES = 4
export const LORA_FRAGMENTS_MAX = 16

export interface LoraRevocationBody {
  /** The serial of the RevocationList that revoked these vouchers. */
  serial: number
  /** 0 … parts-1. */
  part: number
  parts: number
  /** Sorted and unique, so the message has one encoding. */
  voucherIds: Uint8Array[]
}
export type LoraRevocation = Signed<LoraRevocationBody>

function checkIds(ids: readonly Uint8Array[]): void {
  if (ids.length > LORA_REVOCATION_IDS_MAX) {
    throw new ProtocolError('TOO_MANY', `at most ${LORA_REVOCATION_IDS_MAX} voucher ids per LoraRevocation`)
  }
  for (let i = 1; i < ids.length; i++) {
    if (compareBytes(ids[i - 1]!, ids[i]!) >= 0) throw new ProtocolError('BAD_VALUE', 'voucher ids must be sorted and unique')
  }
}

function checkPart(part: number, parts: number): void {
  if (parts < 1 || parts > LORA_REVOCATION_PARTS_MAX || part >= parts) {
    throw new ProtocolError('BAD_VALUE', `part ${part} of ${parts} (1–${LORA_REVOCATION_PARTS_MAX} parts)`)
  }
}

export const loraRevocationCodec = defineSignedMessage<LoraRevocationBody>({
  type: MessageType.LoraRevocation,
  name: 'LoraRevocation',
  body_bytes_max: 4 + 1 + 1 + 1 + LORA_REVOCATION_IDS_MAX * ID_BYTES,
  writeBody(writer, value) {
    checkPart(value.part, value.parts)
    checkIds(value.voucherIds)
    writer.u32(value.serial).u8(value.part).u8(value.parts).u8(value.voucherIds.length)
    for (const id of value.voucherIds) writer.fixed(id, ID_BYTES, 'voucherId')
  },
  readBody(reader) {
    const serial = reader.u32('serial')
    const part = reader.u8('part')
    const parts = reader.u8('parts')
    checkPart(part, parts)
    const count = reader.u8('count')
    if (count > LORA_REVOCATION_IDS_MAX) throw new ProtocolError('TOO_MANY', `at most ${LORA_REVOCATION_IDS_MAX} voucher ids`)
    const voucherIds: Uint8Array[] = []
    for (let i = 0; i < count; i++) voucherIds.push(reader.fixed(ID_BYTES, 'voucherId'))
    checkIds(voucherIds)
    return { serial, part, parts, voucherIds }
  },
})

/** Splits sorted, unique ids into the bodies of one list's messages (one empty part if there are none). */
export function loraRevocationBodies(serial: number, voucherIds: readonly Uint8Array[]): LoraRevocationBody[] {
  const parts = Math.max(1, Math.ceil(voucherIds.length / LORA_REVOCATION_IDS_MAX))
  if (parts > LORA_REVOCATION_PARTS_MAX) {
    throw new ProtocolError('TOO_MANY', `${voucherIds.length} vouchers need ${parts} parts, at most ${LORA_REVOCATION_PARTS_MAX}`)
  }
  return Array.from({ length: parts }, (_, part) => ({
    serial,
    part,
    parts,
    voucherIds: voucherIds.slice(part * LORA_REVOCATION_IDS_MAX, (part + 1) * LORA_REVOCATION_IDS_MAX),
  }))
}

export interface LoraFragment {
  messageId: number
  index: number
  count: number
  chunk: Uint8Array
}

/** Cuts an encoded message into downlinks of at most `downlinkBytes_max` bytes. */
export function fragmentMessage(message: Uint8Array, messageId: number, downlinkBytes_max = LORA_PAYLOAD_BYTES_MAX): Uint8Array[] {
  const chunkBytes = downlinkBytes_max - LORA_FRAGMENT_HEADER_BYTES
  if (!Number.isInteger(chunkBytes) || chunkBytes < 1 || downlinkBytes_max > 255) {
    throw new ProtocolError('OUT_OF_RANGE', `a downlink of ${downlinkBytes_max} bytes cannot carry fragments`)
  }
  const count = Math.max(1, Math.ceil(message.length / chunkBytes))
  if (count > LORA_FRAGMENTS_MAX) {
    throw new ProtocolError('TOO_MANY', `${message.length} bytes need ${count} fragments, at most ${LORA_FRAGMENTS_MAX}`)
  }
  return Array.from({ length: count }, (_, index) => {
    const chunk = message.subarray(index * chunkBytes, (index + 1) * chunkBytes)
    const writer = new Writer(LORA_FRAGMENT_HEADER_BYTES + chunk.length)
    writer.u16(messageId).u8(index).u8(count).raw(chunk)
    return writer.finish()
  })
}

export function decodeFragment(bytes: Uint8Array): LoraFragment {
  const reader = new Reader(bytes)
  const messageId = reader.u16('messageId')
  const index = reader.u8('index')
  const count = reader.u8('count')
  if (count < 1 || count > LORA_FRAGMENTS_MAX || index >= count) {
    throw new ProtocolError('BAD_VALUE', `fragment ${index} of ${count} (1–${LORA_FRAGMENTS_MAX} fragments)`)
  }
  if (reader.remaining < 1) throw new ProtocolError('TRUNCATED', 'a fragment carries at least one byte')
  return { messageId, index, count, chunk: reader.fixed(reader.remaining, 'chunk') }
}

interface Assembly {
  readonly count: number
  readonly chunks: Array<Uint8Array | undefined>
  received: number
  bytes: number
}

/**
 * Puts fragments together again. Bounded: at most `messagesInProgress_max` messages are
 * assembled at once (the oldest is dropped for a new one) and a message never grows past
 * `messageBytes_max`. A fragment that contradicts what was received drops its message.
 */
export class FragmentReassembler {
  private readonly inProgress = new Map<number, Assembly>()

  constructor(
    private readonly messageBytes_max = loraRevocationCodec.size_max,
    private readonly messagesInProgress_max = 4,
  ) {}

  /** The whole message once its last fragment is in, else undefined; a malformed fragment throws ProtocolError. */
  accept(bytes: Uint8Array): Uint8Array | undefined {
    const fragment = decodeFragment(bytes)
    let message = this.inProgress.get(fragment.messageId)
    if (message !== undefined && message.count !== fragment.count) {
      this.inProgress.delete(fragment.messageId)
      throw new ProtocolError('BAD_VALUE', `message ${fragment.messageId} was announced with ${message.count} fragments, not ${fragment.count}`)
    }
    if (message === undefined) {
      if (this.inProgress.size >= this.messagesInProgress_max) {
        this.inProgress.delete(this.inProgress.keys().next().value!)
      }
      message = { count: fragment.count, chunks: new Array(fragment.count).fill(undefined), received: 0, bytes: 0 }
      this.inProgress.set(fragment.messageId, message)
    }
    const known = message.chunks[fragment.index]
    if (known !== undefined) {
      if (compareBytes(known, fragment.chunk) === 0) return undefined
      this.inProgress.delete(fragment.messageId)
      throw new ProtocolError('BAD_VALUE', `fragment ${fragment.index} of message ${fragment.messageId} arrived twice, different`)
    }
    if (message.bytes + fragment.chunk.length > this.messageBytes_max) {
      this.inProgress.delete(fragment.messageId)
      throw new ProtocolError('BAD_LENGTH', `message ${fragment.messageId} exceeds ${this.messageBytes_max} bytes`)
    }
    message.chunks[fragment.index] = fragment.chunk
    message.received++
    message.bytes += fragment.chunk.length
    if (message.received < message.count) return undefined
    this.inProgress.delete(fragment.messageId)
    return concatBytes(...(message.chunks as Uint8Array[]))
  }

  get messagesInProgress(): number {
    return this.inProgress.size
  }
}
