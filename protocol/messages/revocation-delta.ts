// RevocationDelta: what one serial of the hub's revocation list changed, signed by the hub: the
// vouchers it revoked, and the ones it stopped listing because they expired past the grace. A
// gateway applies a delta only on top of exactly the serial it follows; any other one tells it that
// it missed some and asks for a catch-up (revocation-catch-up.ts). Id lists are sorted and unique.

import { toHex } from '../bytes'
import { MessageType, type Reader, type Writer } from '../codec'
import { ProtocolError } from '../errors'
import { defineSignedMessage, type Signed } from './define'
import { ID_BYTES } from './fields'
import { canonicalVoucherIds, checkSortedUnique } from './revocation-list'

/** Ids added, and ids removed, in one delta (about 16 KB each): more changes take more serials. */
export const REVOCATION_DELTA_IDS_MAX = 1024

export interface RevocationDeltaBody {
  serial: number
  /** The serial this delta applies on top of (the hub's: serial − 1). */
  follows: number
  issuedAtMs: number
  /** Revoked at this serial: refused from now on. */
  added: Uint8Array[]
  /** Expired past the grace: no longer listed. */
  removed: Uint8Array[]
}
export type RevocationDelta = Signed<RevocationDeltaBody>

function writeIds(writer: Writer, ids: readonly Uint8Array[], field: string): void {
  if (ids.length > REVOCATION_DELTA_IDS_MAX) throw new ProtocolError('TOO_MANY', `${field}: at most ${REVOCATION_DELTA_IDS_MAX} ids`)
  checkSortedUnique(ids, field)
  writer.u16(ids.length)
  for (const id of ids) writer.fixed(id, ID_BYTES, field)
}

function readIds(reader: Reader, field: string): Uint8Array[] {
  const count = reader.u16(`${field} count`)
  if (count > REVOCATION_DELTA_IDS_MAX) throw new ProtocolError('TOO_MANY', `${field}: at most ${REVOCATION_DELTA_IDS_MAX} ids`)
  const ids: Uint8Array[] = []
  for (let i = 0; i < count; i++) ids.push(reader.fixed(ID_BYTES, field))
  checkSortedUnique(ids, field)
  return ids
}

function checkBody(value: RevocationDeltaBody): void {
  if (value.follows >= value.serial) throw new ProtocolError('BAD_VALUE', `serial ${value.serial} cannot follow ${value.follows}`)
  const added = new Set(value.added.map(id => toHex(id)))
  if (value.removed.some(id => added.has(toHex(id)))) {
    throw new ProtocolError('BAD_VALUE', 'a voucher is either added or removed')
  }
}

export const revocationDeltaCodec = defineSignedMessage<RevocationDeltaBody>({
  type: MessageType.RevocationDelta,
  name: 'RevocationDelta',
  body_bytes_max: 4 + 4 + 8 + 2 * (2 + REVOCATION_DELTA_IDS_MAX * ID_BYTES),
  writeBody(writer, value) {
    checkBody(value)
    writer.u32(value.serial).u32(value.follows).u64(value.issuedAtMs)
    writeIds(writer, value.added, 'added')
    writeIds(writer, value.removed, 'removed')
  },
  readBody(reader) {
    const value = {
      serial: reader.u32('serial'),
      follows: reader.u32('follows'),
      issuedAtMs: reader.u64('issuedAtMs'),
      added: readIds(reader, 'added'),
      removed: readIds(reader, 'removed'),
    }
    checkBody(value)
    return value
  },
})

/**
 * The deltas that carry `added` and `removed` after serial `after`, as many consecutive serials as
 * their size needs (none when both are empty). Every id goes in exactly one of them.
 */
export function revocationDeltaBodies(
  after: number, issuedAt_ms: number, added: readonly Uint8Array[], removed: readonly Uint8Array[],
): RevocationDeltaBody[] {
  const adding = canonicalVoucherIds(added)
  const removing = canonicalVoucherIds(removed)
  const count = Math.ceil(Math.max(adding.length, removing.length) / REVOCATION_DELTA_IDS_MAX)
  return Array.from({ length: count }, (_, i) => ({
    serial: after + i + 1,
    follows: after + i,
    issuedAtMs: issuedAt_ms,
    added: adding.slice(i * REVOCATION_DELTA_IDS_MAX, (i + 1) * REVOCATION_DELTA_IDS_MAX),
    removed: removing.slice(i * REVOCATION_DELTA_IDS_MAX, (i + 1) * REVOCATION_DELTA_IDS_MAX),
  }))
}
