// The ingest's store on both engines: a batch's outcome written in the ledger's kind of transaction and read back the
// same; a decision over what another hub changed since writes nothing (the chain moved, a sequence number taken); a
// double spend flagged once, a void recorded once, a flag resolved once; rejected batches kept to the newest.

import t, { type Test as Tap } from 'tap'
import { randomBytes } from 'node:crypto'
import { sha256, toHex } from '../../../protocol/bytes'
import { decodeRecordBatchFrames } from '../../../protocol/messages/record-batch'
import { authorizationCodec } from '../../../protocol/messages/authorization'
import { voucherCodec } from '../../../protocol/messages/voucher'
import { Reason } from '../../../protocol/reasons'
import { nodeEd25519 } from '../../../protocol/signature/node'
import { FlagStore } from '../../../hub/ingest/flag-store'
import {
  IngestStore, StaleDecisionError, type DecisionReads, type IngestWrite, type RecordOutcome, type RecordRow,
} from '../../../hub/ingest/store'
import type { SqlEngine } from '../../../hub/store/sql'
import { VirtualPhone } from '../../../simulator/phone'
import { SimulatedGatewayChain } from '../../../simulator/gateway-chain'
import { engineTests, type EngineFactory } from '../helpers/engines'
import { addUsers } from '../helpers/foreign-rows'

const engineTest = engineTests(t)
const EUI = '00000000000000A1'
const T0 = Date.UTC(2025, 0, 15, 12)

/** A gateway's chain of `count` payments under one voucher, and each record's row as the ingest stores it. */
function chainOf(count: number) {
  const hub = nodeEd25519.keyPairFromSeed(randomBytes(32))
  const phone = new VirtualPhone(nodeEd25519.keyPairFromSeed(randomBytes(32)), nodeEd25519)
  const voucher = voucherCodec.sign({
    voucherId: randomBytes(16), accountRef: randomBytes(16), devicePublicKey: phone.keys.publicKey, currency: 'XOF',
    limitMinor: 100_000, issuedAtMs: T0 - 1_000, expiresAtMs: T0 + 86_400_000,
  }, hub.secretKey, nodeEd25519)
  phone.addVoucher(voucher)
  const gateway = new SimulatedGatewayChain(EUI, nodeEd25519.keyPairFromSeed(randomBytes(32)))
  for (let index = 0; index < count; index += 1) {
    gateway.append(phone.authorize({
      gatewayEui: EUI, amountMinor: 100 * (index + 1), currency: 'XOF', nonce: randomBytes(16), timeMs: T0, merchantName: 'Shop',
    }).authorization)
  }
  const { batch, frames } = decodeRecordBatchFrames(gateway.batch())
  const rows = batch.records.map((record, index): RecordRow => {
    const frame = frames[index]!
    const a = record.authorization
    return {
      eui: EUI, chain: 1, gatewaySeq: record.gatewaySeq, recordHash: frame.hash, transferIdHex: toHex(sha256(frame.authorizationUnsigned)),
      voucherIdHex: toHex(a.voucherId), voucherSeq: a.seq, cumulativeMinor: a.cumulativeMinor, amountMinor: a.amountMinor,
      currency: a.currency, mode: record.mode, timeMs: a.timeMs, record: frame.bytes, outcome: 'settled', reason: Reason.None,
    }
  })
  return { gateway, rows, authorizations: batch.records.map(record => authorizationCodec.encode(record.authorization)) }
}

const NOTHING_READ: DecisionReads = { chain: undefined, settled: [], transferIdsHex: [], finalRefusals: new Map() }

function change(rows: RecordRow[], read: DecisionReads, overrides: Partial<IngestWrite> = {}): IngestWrite {
  const last = rows[rows.length - 1]!
  return {
    eui: EUI, chain: 1, gatewayId: 'gw_1', publicKey: new Uint8Array(32), records: rows,
    position: { contiguousSeq: last.gatewaySeq, contiguousHash: last.recordHash, highestSeq: last.gatewaySeq },
    head: Uint8Array.from([1, 2, 3]), gap: null, forks: [], doubleSpends: [], nowMs: T0, read, ...overrides,
  }
}

function outcomeOf(row: RecordRow, outcome: RecordOutcome, reason: Reason): RecordRow {
  return { ...row, outcome, reason }
}

/** The rows of other domains the ingest's refer to: a gateway (its chain's) and the operators who resolve flags. */
async function openIngest(t: Tap, factory: EngineFactory): Promise<{ engine: SqlEngine; store: IngestStore }> {
  const { engine } = await factory.open(t)
  await addUsers(engine, ['operator-1', 'operator-2'])
  await engine.run(`INSERT INTO gateways (id, eui, name, type, status, created_at_ms) VALUES ('gw_1', ?, 'Gateway', 'counter', 'available', 0)`, [EUI])
  return { engine, store: new IngestStore(engine) }
}

async function count(engine: SqlEngine, table: string): Promise<number> {
  return (await engine.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`))!.n
}

engineTest('a batch\'s outcome is written in one transaction and read back alike', async (t, factory) => {
  const { engine, store } = await openIngest(t, factory)
  const { rows, authorizations } = chainOf(3)
  const refused = outcomeOf(rows[2]!, 'rejected', Reason.VoucherExpired)
  const flagged = await engine.write(sql => store.write(sql, change([rows[0]!, rows[1]!, refused], NOTHING_READ, {
    forks: [{ gatewaySeq: 2, knownHash: rows[1]!.recordHash, otherRecord: Uint8Array.from([9]) }],
    doubleSpends: [{
      voucherIdHex: rows[0]!.voucherIdHex, kind: 'same_seq', firstTransferIdHex: rows[0]!.transferIdHex,
      secondTransferIdHex: rows[1]!.transferIdHex, firstAuthorization: authorizations[0]!, secondAuthorization: authorizations[1]!,
    }],
  })))
  t.same(flagged.map(flag => flag.voucherIdHex), [rows[0]!.voucherIdHex], 'the double spend is flagged')
  const held = await store.chain({ eui: EUI, chain: 1 })
  t.same([held?.contiguousSeq, held?.highestSeq, held?.state], [3, 3, 'open'], 'the chain is held to its last record')
  const stored = await store.storedRecordsBetween({ eui: EUI, chain: 1 }, 0, 5)
  t.same([...stored.keys()].sort(), [1, 2, 3])
  t.same([stored.get(3)?.outcome, stored.get(3)?.reason], ['rejected', Reason.VoucherExpired])
  t.same((await store.storedRecord({ eui: EUI, chain: 1 }, 2))?.recordHash, rows[1]!.recordHash)
  t.same(await store.finalRefusals(rows.map(row => row.transferIdHex)), new Map([[refused.transferIdHex, Reason.VoucherExpired]]),
    'the final refusal is on file by transfer id')
  t.equal(await store.finalRefusal(refused.transferIdHex), Reason.VoucherExpired)
  const voucher = rows[0]!.voucherIdHex
  t.same((await store.knownPaymentsAround(voucher, 1, 3)).map(payment => payment.seq).sort(), [1, 2], 'a rejected record counts for nothing')
  t.equal((await store.highestKnownPayment(voucher))?.transferIdHex, rows[1]!.transferIdHex)
  t.ok(await store.hasRecordOf(voucher, 1, rows[0]!.transferIdHex))
  t.notOk(await store.hasRecordOf(voucher, 3, refused.transferIdHex))
  t.same(await store.evidenceOf(voucher, 2, rows[1]!.transferIdHex), authorizations[1], 'the customer-signed authorization')
  t.equal(await count(engine, 'chain_forks'), 1)
})

engineTest('the payments known around a range of seqs: every one in it, and every one at the nearest seq below and above that holds any', async (t, factory) => {
  const { engine, store } = await openIngest(t, factory)
  const { rows } = chainOf(8)
  // Seq 3 refused, 4 and 5 not here yet, and a second payment at seq 6 (a double spend's, with its own transfer id).
  const secondAtSix: RecordRow = {
    ...rows[5]!, gatewaySeq: 9, recordHash: randomBytes(32), transferIdHex: toHex(randomBytes(32)), outcome: 'flagged',
  }
  const written = [rows[0]!, rows[1]!, outcomeOf(rows[2]!, 'rejected', Reason.VoucherExpired), rows[5]!, rows[6]!, rows[7]!, secondAtSix]
  await engine.write(sql => store.write(sql, change(written, NOTHING_READ, {
    position: { contiguousSeq: 3, contiguousHash: rows[2]!.recordHash, highestSeq: 9 },
  })))
  const voucher = rows[0]!.voucherIdHex
  const around = async (fromSeq: number, toSeq: number) => (await store.knownPaymentsAround(voucher, fromSeq, toSeq))
    .map(payment => `${payment.seq}:${payment.transferIdHex}`).sort()
  const ids = (...picked: RecordRow[]) => picked.map(row => `${row.voucherSeq}:${row.transferIdHex}`).sort()
  t.same(await around(4, 5), ids(rows[1]!, rows[5]!, secondAtSix), 'below, seq 2 (the refused 3 holds none); above, both payments at 6')
  t.same(await around(2, 2), ids(rows[0]!, rows[1]!, rows[5]!, secondAtSix), 'the payment at 2, with 1 below and both at 6 above')
  t.same(await around(7, 7), ids(rows[5]!, secondAtSix, rows[6]!, rows[7]!))
  t.same(await around(9, 12), ids(rows[7]!), 'past the highest: the highest alone')
  t.same(await around(1, 8), ids(rows[0]!, rows[1]!, rows[5]!, secondAtSix, rows[6]!, rows[7]!), 'the whole range: the whole history')
  t.same(await around(1, 1), ids(rows[0]!, rows[1]!))
  t.same(await store.knownPaymentsAround(toHex(randomBytes(16)), 1, 5), [], 'nothing under an unknown voucher')
})

engineTest('a decision over a chain another hub moved since writes nothing', async (t, factory) => {
  const { engine, store } = await openIngest(t, factory)
  const { rows } = chainOf(4)
  await engine.write(sql => store.write(sql, change(rows.slice(0, 2), NOTHING_READ)))
  const read = { ...NOTHING_READ, chain: await store.chain({ eui: EUI, chain: 1 }) }
  await engine.write(sql => store.write(sql, change(rows.slice(2, 3), read)))
  // A copy of the third record's batch, decided over the chain as it was before the third was stored.
  await t.rejects(engine.write(sql => store.write(sql, change(rows.slice(2, 4), read))), StaleDecisionError)
  t.equal(await count(engine, 'gateway_records'), 3, 'the fourth record was not stored with it')
  t.same((await store.chain({ eui: EUI, chain: 1 }))?.highestSeq, 3, 'nor the chain moved')
  // A decision that read no chain, where another hub opened it meanwhile.
  await t.rejects(engine.write(sql => store.write(sql, change(rows.slice(3, 4), NOTHING_READ))), StaleDecisionError)
})

engineTest('a record\'s sequence number is taken once: a copy stored first makes the decision stale, and nothing of it stays', async (t, factory) => {
  const { engine, store } = await openIngest(t, factory)
  const { rows } = chainOf(2)
  await engine.write(sql => store.write(sql, change(rows.slice(0, 1), NOTHING_READ)))
  // The chain where this decision read it, with the first record's seq taken by a copy it did not see.
  const read = { ...NOTHING_READ, chain: await store.chain({ eui: EUI, chain: 1 }) }
  const copy = outcomeOf(rows[0]!, 'rejected', Reason.InsufficientFunds)
  const position = { contiguousSeq: 1, contiguousHash: rows[0]!.recordHash, highestSeq: 2 }
  await t.rejects(engine.write(sql => store.write(sql, change([rows[1]!, copy], read, { position, nowMs: T0 + 5 }))),
    StaleDecisionError)
  t.equal(await count(engine, 'gateway_records'), 1, 'the second record rolled back with it')
  t.equal(await store.finalRefusal(copy.transferIdHex), undefined, 'and no refusal is on file')
  t.same((await store.storedRecord({ eui: EUI, chain: 1 }, 1))?.outcome, 'settled', 'the stored outcome stands')
})

engineTest('a double spend is flagged once per pair, a void recorded once per transfer id, a flag resolved once', async (t, factory) => {
  const { engine, store } = await openIngest(t, factory)
  const { rows, authorizations } = chainOf(2)
  const proof = {
    voucherIdHex: rows[0]!.voucherIdHex, kind: 'same_seq' as const, firstTransferIdHex: rows[0]!.transferIdHex,
    secondTransferIdHex: rows[1]!.transferIdHex, firstAuthorization: authorizations[0]!, secondAuthorization: authorizations[1]!,
  }
  const flagId = await store.recordDoubleSpend(proof, T0)
  t.type(flagId, 'number', 'flagged')
  t.equal(await store.recordDoubleSpend(proof, T0 + 1), null, 'the same pair again is not flagged twice')
  const entry = { transferIdHex: rows[0]!.transferIdHex, eui: EUI, reversedMinor: 0, reversalTransferId: null, nowMs: T0 }
  t.ok(await store.recordVoid(entry))
  t.notOk(await store.recordVoid({ ...entry, nowMs: T0 + 1 }), 'a second void of the id records nothing')
  t.same(await store.voidOf(entry.transferIdHex), { eui: EUI, reversedMinor: 0 })
  t.equal(await store.finalRefusal(entry.transferIdHex), Reason.OnlineRequestVoided, 'a voided payment is refused for good')
  await store.recordOnlineRefusal(rows[1]!.transferIdHex, Reason.InsufficientFunds, EUI, T0)
  await store.recordOnlineRefusal(rows[1]!.transferIdHex, Reason.DoubleSpend, EUI, T0)
  t.equal(await store.refusalForOnline(rows[1]!.transferIdHex), Reason.InsufficientFunds, 'the first online refusal stands')

  const flags = new FlagStore(engine)
  t.same((await flags.page('open', undefined, 10)).map(flag => flag.id), [flagId])
  t.same(await flags.page('resolved', undefined, 10), [])
  const resolution = { byUserId: 'operator-1', note: 'refunded', atMs: T0 + 2 }
  t.ok(await engine.write(sql => flags.resolveIn(sql, flagId!, resolution)))
  t.notOk(await engine.write(sql => flags.resolveIn(sql, flagId!, { ...resolution, byUserId: 'operator-2' })), 'once')
  t.same((await flags.byId(flagId!))?.resolution, { atMs: T0 + 2, byUserId: 'operator-1', note: 'refunded' })
})

engineTest('batches refused whole are kept, the newest ones only', async (t, factory) => {
  const { engine, store } = await openIngest(t, factory)
  for (let index = 0; index < 5; index += 1) await store.keepRejectedBatch(EUI, `reason ${index}`, Uint8Array.from([index]), T0, 2)
  const kept = await engine.all<{ reason: string }>('SELECT reason FROM rejected_batches ORDER BY id')
  t.same(kept.map(row => row.reason), ['reason 3', 'reason 4'])
})
