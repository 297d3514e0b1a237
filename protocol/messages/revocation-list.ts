// RevocationList: the hub-signed list of vouchers no gateway may accept any more (DESIGN step 7).
// Published retained; a higher serial replaces a lower one. Ids are sorted and unique, so the
// list has one encoding.

import { compareBytes } from '../bytes'
import { MessageType } from '../codec'
import { ProtocolError } from '../errors'
import { defineSignedMessage, type Signed } from './define'
import { ID_BYTES } from './fields'

/** Expired vouchers leave the list, which keeps it bounded. */
export const REVOCATIONS_MAX = 4096

export interface RevocationListBody {
  serial: number
  issuedAtMs: number
  voucherIds: Uint8Array[]
}
export type RevocationList = Signed<RevocationListBody>

function checkSortedUnique(ids: readonly Uint8Array[]): void {
  for (let i = 1; i < ids.length; i++) {
    if (compareBytes(ids[i - 1]!, ids[i]!) >= 0) {
      throw new ProtocolError('BAD_VALUE', 'revoked voucher ids must be sorted and unique')
    }
  }
}

/** Sorts and de-duplicates voucher ids into the list's canonical order. */
export function canonicalVoucherIds(ids: Iterable<Uint8Array>): Uint8Array[] {
  const sorted = [...ids].sort(compareBytes)
  return sorted.filter((id, i) => i === 0 || compareBytes(sorted[i - 1]!, id) !== 0)
}

export const revocationListCodec = defineSignedMessage<RevocationListBody>({
  type: MessageType.RevocationList,
  name: 'RevocationList',
  body_bytes_max: 4 + 8 + 2 + REVOCATIONS_MAX * ID_BYTES,
  writeBody(writer, value) {
    if (value.voucherIds.length > REVOCATIONS_MAX) throw new ProtocolError('TOO_MANY', 'too many revocations')
    checkSortedUnique(value.voucherIds)
    writer.u32(value.serial).u64(value.issuedAtMs).u16(value.voucherIds.length)
    for (const id of value.voucherIds) writer.fixed(id, ID_BYTES, 'voucherId')
  },
  readBody(reader) {
    const serial = reader.u32('serial')
    const issuedAtMs = reader.u64('issuedAtMs')
    const count = reader.u16('count')
    if (count > REVOCATIONS_MAX) throw new ProtocolError('TOO_MANY', `at most ${REVOCATIONS_MAX} revocations`)
    const voucherIds: Uint8Array[] = []
    for (let i = 0; i < count; i++) voucherIds.push(reader.fixed(ID_BYTES, 'voucherId'))
    checkSortedUnique(voucherIds)
    return { serial, issuedAtMs, voucherIds }
  },
})
