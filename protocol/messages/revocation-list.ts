// RevocationList: the hub-signed list of every voucher no gateway may accept any more at one serial
// (DESIGN step 7, "Revocations stay complete"), the form a gateway catches up with when it missed
// deltas (revocation-delta.ts). The list goes in parts, each signed: the ids of all parts are sorted
// and unique, and part i carries the i-th run of REVOCATION_LIST_PART_IDS_MAX of them (the last one
// the rest), so a list has one encoding. A gateway takes the list once it holds every part.

import { compareBytes } from '../bytes'
import { MessageType } from '../codec'
import { ProtocolError } from '../errors'
import { defineSignedMessage, type Signed } from './define'
import { ID_BYTES } from './fields'

/** Voucher ids in one part: about 65 KB, one MQTT message. */
export const REVOCATION_LIST_PART_IDS_MAX = 4096
const REVOCATION_LIST_PARTS_MAX = 16
/**
 * The most vouchers a list can name, and so what a gateway must be able to hold. The hub never
 * lists more: it stops issuing vouchers before the vouchers it could have to list pass its bound
 * (hub/vouchers/policy.ts), which is at most this.
 */
export const REVOKED_VOUCHERS_MAX = REVOCATION_LIST_PART_IDS_MAX * REVOCATION_LIST_PARTS_MAX

export interface RevocationListBody {
  serial: number
  issuedAtMs: number
  /** 0 … parts-1. */
  part: number
  parts: number
  voucherIds: Uint8Array[]
}
export type RevocationList = Signed<RevocationListBody>

/** Throws BAD_VALUE unless the ids are in strictly ascending byte order. */
export function checkSortedUnique(ids: readonly Uint8Array[], field = 'voucher ids'): void {
  for (let i = 1; i < ids.length; i++) {
    if (compareBytes(ids[i - 1]!, ids[i]!) >= 0) throw new ProtocolError('BAD_VALUE', `${field} must be sorted and unique`)
  }
}

/** Sorts and de-duplicates voucher ids into the lists' canonical order. */
export function canonicalVoucherIds(ids: Iterable<Uint8Array>): Uint8Array[] {
  const sorted = [...ids].sort(compareBytes)
  return sorted.filter((id, i) => i === 0 || compareBytes(sorted[i - 1]!, id) !== 0)
}

function checkPart(part: number, parts: number, count: number): void {
  if (parts < 1 || parts > REVOCATION_LIST_PARTS_MAX || part >= parts) {
    throw new ProtocolError('BAD_VALUE', `part ${part} of ${parts} (1–${REVOCATION_LIST_PARTS_MAX} parts)`)
  }
  if (count > REVOCATION_LIST_PART_IDS_MAX) {
    throw new ProtocolError('TOO_MANY', `at most ${REVOCATION_LIST_PART_IDS_MAX} voucher ids per part`)
  }
  // Canonical split: every part but the last is full, and only a list of one part may be empty.
  if (part < parts - 1 ? count !== REVOCATION_LIST_PART_IDS_MAX : parts > 1 && count === 0) {
    throw new ProtocolError('BAD_VALUE', `part ${part} of ${parts} cannot hold ${count} ids`)
  }
}

export const revocationListCodec = defineSignedMessage<RevocationListBody>({
  type: MessageType.RevocationList,
  name: 'RevocationList',
  body_bytes_max: 4 + 8 + 1 + 1 + 2 + REVOCATION_LIST_PART_IDS_MAX * ID_BYTES,
  writeBody(writer, value) {
    checkPart(value.part, value.parts, value.voucherIds.length)
    checkSortedUnique(value.voucherIds)
    writer.u32(value.serial).u64(value.issuedAtMs).u8(value.part).u8(value.parts).u16(value.voucherIds.length)
    for (const id of value.voucherIds) writer.fixed(id, ID_BYTES, 'voucherId')
  },
  readBody(reader) {
    const serial = reader.u32('serial')
    const issuedAt_ms = reader.u64('issuedAtMs')
    const part = reader.u8('part')
    const parts = reader.u8('parts')
    const count = reader.u16('count')
    checkPart(part, parts, count)
    const voucherIds: Uint8Array[] = []
    for (let i = 0; i < count; i++) voucherIds.push(reader.fixed(ID_BYTES, 'voucherId'))
    checkSortedUnique(voucherIds)
    return { serial, issuedAtMs: issuedAt_ms, part, parts, voucherIds }
  },
})

/**
 * The parts of list `serial`: every id, never fewer. Throws TOO_MANY past REVOKED_VOUCHERS_MAX
 * (the hub's issuance bound keeps it from getting there), never truncates.
 */
export function revocationListBodies(serial: number, issuedAt_ms: number, voucherIds: readonly Uint8Array[]): RevocationListBody[] {
  if (voucherIds.length > REVOKED_VOUCHERS_MAX) {
    throw new ProtocolError('TOO_MANY', `${voucherIds.length} revoked vouchers, a list holds at most ${REVOKED_VOUCHERS_MAX}`)
  }
  const ids = canonicalVoucherIds(voucherIds)
  const parts = Math.max(1, Math.ceil(ids.length / REVOCATION_LIST_PART_IDS_MAX))
  return Array.from({ length: parts }, (_, part) => ({
    serial,
    issuedAtMs: issuedAt_ms,
    part,
    parts,
    voucherIds: ids.slice(part * REVOCATION_LIST_PART_IDS_MAX, (part + 1) * REVOCATION_LIST_PART_IDS_MAX),
  }))
}
