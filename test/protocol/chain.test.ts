import t from 'tap'
import { appendRecord, CHAIN_START, verifyChainSegment, isFork, type ChainPosition } from '../../protocol/chain'
import { authorizationCodec } from '../../protocol/messages/authorization'
import { PaymentMode, recordHash, type TransferRecord } from '../../protocol/messages/transfer-record'
import { nodeEd25519 } from '../../protocol/signature/node'

const phone = nodeEd25519.keyPairFromSeed(new Uint8Array(32).fill(3))

function authorization(seq: number, amount_minor: number) {
  return authorizationCodec.sign({
    voucherId: new Uint8Array(16).fill(1), seq, cumulativeMinor: seq * 100, amountMinor: amount_minor,
    currency: 'XOF', gatewayEui: '0011223344556677', nonce: new Uint8Array(16).fill(seq), timeMs: 1_000 + seq,
  }, phone.secretKey, nodeEd25519)
}

function chain(length: number): { records: TransferRecord[]; position: ChainPosition } {
  let position = CHAIN_START
  const records: TransferRecord[] = []
  for (let seq = 1; seq <= length; seq++) {
    const next = appendRecord(position, authorization(seq, 100), PaymentMode.Offline)
    records.push(next.record)
    position = next.position
  }
  return { records, position }
}

t.test('a chain built by appendRecord verifies from the start and from any known point', async t => {
  const { records, position } = chain(5)
  t.same(verifyChainSegment(CHAIN_START, records).position, position)
  const middle = { gatewaySeq: 2, hash: recordHash(records[1]!) }
  t.same(verifyChainSegment(middle, records.slice(2)).position, position)
  t.equal(verifyChainSegment(CHAIN_START, records).hashes.length, 5)
})

t.test('detects a gap', async t => {
  const { records } = chain(4)
  t.throws(() => verifyChainSegment(CHAIN_START, [records[0]!, records[2]!]), { code: 'CHAIN_GAP' })
  t.throws(() => verifyChainSegment(CHAIN_START, records.slice(1)), { code: 'CHAIN_GAP' })
  t.throws(() => verifyChainSegment(CHAIN_START, [records[0]!, records[0]!]), { code: 'CHAIN_GAP' })
})

t.test('detects an edited record', async t => {
  const { records } = chain(3)
  const edited = [...records]
  edited[1] = { ...records[1]!, authorization: authorization(2, 99) }
  t.throws(() => verifyChainSegment(CHAIN_START, edited), { code: 'CHAIN_TAMPERED' })
})

t.test('detects a fork: another history after a known point', async t => {
  const { records } = chain(3)
  const known = { gatewaySeq: 1, hash: recordHash(records[0]!) }
  const other = appendRecord(
    { gatewaySeq: 1, hash: new Uint8Array(32).fill(0xee) },
    authorization(2, 100),
    PaymentMode.Offline,
  ).record
  t.throws(() => verifyChainSegment(known, [other]), { code: 'CHAIN_FORK' })
  t.ok(isFork(records[1]!, other))
  t.notOk(isFork(records[1]!, records[1]!))
})
