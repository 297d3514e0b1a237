// LoraRevocation: revoked vouchers as hub-signed LoRaWAN downlinks, so a gateway with LoRa but no
// IP still learns of them (DESIGN "LoRa"). Whole lists and deltas are far too large for downlinks:
// one message carries at most 16 ids, either what delta `serial` revoked (Added, chunk `index` of
// the delta's ids) or a run of the list as it stood at `serial` (Listed: the hub walks the whole
// list for a gateway that is behind, a chunk per report). A gateway only ever adds these ids.
// A signed message is cut into fragments of a downlink's size (51 bytes at EU868 DR0), each with a
// 4-byte header (message id u16, index u8, count u8), and put together again on the gateway, within bounds.

import { compareBytes, concatBytes } from '../bytes'
import { MessageType, Reader, Writer } from '../codec'
import { ProtocolError } from '../errors'
import { LORA_PAYLOAD_BYTES_MAX } from './commitment-frame'
import { defineSignedMessage, type Signed } from './define'
import { ID_BYTES } from './fields'

/** Voucher ids per signed message: 16 keep one message within 8 downlinks at DR0. */
export const LORA_REVOCATION_IDS_MAX = 16
const LORA_FRAGMENT_HEADER_BYTES = 4
export const LORA_FRAGMENTS_MAX = 16
const INDEX_MAX = 0xffff

export const LoraRevocationKind = {
  /** Revoked by delta `serial`. */
  Added: 0,
  /** On the list at `serial`: a chunk of a catch-up. */
  Listed: 1,
} as const
export type LoraRevocationKind = (typeof LoraRevocationKind)[keyof typeof LoraRevocationKind]

export interface LoraRevocationBody {
  kind: LoraRevocationKind
  serial: number
  /** Which chunk of the delta's ids (Added) or of the catch-up (Listed): with kind and serial, the message's identity. */
  index: number
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

function checkKind(kind: number): LoraRevocationKind {
  if (kind !== LoraRevocationKind.Added && kind !== LoraRevocationKind.Listed) {
    throw new ProtocolError('BAD_VALUE', `unknown LoraRevocation kind ${kind}`)
  }
  return kind
}

export const loraRevocationCodec = defineSignedMessage<LoraRevocationBody>({
  type: MessageType.LoraRevocation,
  name: 'LoraRevocation',
  body_bytes_max: 1 + 4 + 2 + 1 + LORA_REVOCATION_IDS_MAX * ID_BYTES,
  writeBody(writer, value) {
    checkKind(value.kind)
    checkIds(value.voucherIds)
    writer.u8(value.kind).u32(value.serial).u16(value.index).u8(value.voucherIds.length)
    for (const id of value.voucherIds) writer.fixed(id, ID_BYTES, 'voucherId')
  },
  readBody(reader) {
    const kind = checkKind(reader.u8('kind'))
    const serial = reader.u32('serial')
    const index = reader.u16('index')
    const count = reader.u8('count')
    if (count > LORA_REVOCATION_IDS_MAX) throw new ProtocolError('TOO_MANY', `at most ${LORA_REVOCATION_IDS_MAX} voucher ids`)
    const voucherIds: Uint8Array[] = []
    for (let i = 0; i < count; i++) voucherIds.push(reader.fixed(ID_BYTES, 'voucherId'))
    checkIds(voucherIds)
    return { kind, serial, index, voucherIds }
  },
})

/**
 * Splits sorted, unique ids into messages of `kind` and `serial`, numbered from `firstIndex`
 * (nothing for no ids).
 */
export function loraRevocationBodies(
  kind: LoraRevocationKind, serial: number, voucherIds: readonly Uint8Array[], firstIndex = 0,
): LoraRevocationBody[] {
  const count = Math.ceil(voucherIds.length / LORA_REVOCATION_IDS_MAX)
  if (firstIndex + count - 1 > INDEX_MAX) throw new ProtocolError('TOO_MANY', `chunk ${firstIndex + count - 1} is past ${INDEX_MAX}`)
  return Array.from({ length: count }, (_, i) => ({
    kind,
    serial,
    index: firstIndex + i,
    voucherIds: voucherIds.slice(i * LORA_REVOCATION_IDS_MAX, (i + 1) * LORA_REVOCATION_IDS_MAX),
  }))
}

/**
 * The fragments' message id of a LoraRevocation: the same for every gateway, and distinct for two
 * messages whose serials differ by less than 128 and indexes by less than 256, which covers what
 * can be in flight to one gateway at once (the reassembler holds 4).
 */
export function loraMessageId(body: Pick<LoraRevocationBody, 'kind' | 'serial' | 'index'>): number {
  return ((body.serial & 0x7f) << 9) | ((body.index & 0xff) << 1) | body.kind
}

export interface LoraFragment {
  messageId: number
  index: number
  count: number
  chunk: Uint8Array
}

/** Cuts an encoded message into downlinks of at most `downlinkBytes_max` bytes. */
export function fragmentMessage(message: Uint8Array, messageId: number, downlinkBytes_max = LORA_PAYLOAD_BYTES_MAX): Uint8Array[] {
  const chunk_bytes = downlinkBytes_max - LORA_FRAGMENT_HEADER_BYTES
  if (!Number.isInteger(chunk_bytes) || chunk_bytes < 1 || downlinkBytes_max > 255) {
    throw new ProtocolError('OUT_OF_RANGE', `a downlink of ${downlinkBytes_max} bytes cannot carry fragments`)
  }
  const count = Math.max(1, Math.ceil(message.length / chunk_bytes))
  if (count > LORA_FRAGMENTS_MAX) {
    throw new ProtocolError('TOO_MANY', `${message.length} bytes need ${count} fragments, at most ${LORA_FRAGMENTS_MAX}`)
  }
  return Array.from({ length: count }, (_, index) => {
    const chunk = message.subarray(index * chunk_bytes, (index + 1) * chunk_bytes)
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
