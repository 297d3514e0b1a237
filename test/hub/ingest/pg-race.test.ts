// PostgreSQL only: several hubs (each its own pool, engine, ledger, ingest store and verify pool) on one database,
// each given a copy of every gateway's batches, all at once, as a broker redelivering to several hubs would.
// The database decides: every payment settles once, the one double spend is flagged once, every chain ends whole,
// the ledger verifies, and every ack any hub signed agrees with the outcome stored (the copy that won the race says
// settled or flagged, every other copy duplicate; a refusal is the same refusal for every copy). The interleavings
// vary from run to run; what is checked holds under every one of them.

import t, { type Test } from 'tap'
import { randomBytes } from 'node:crypto'
import pino from 'pino'
import type { Pool } from 'pg'
import { ManualClock } from '../../../protocol/clock'
import { AckOutcome, type Ack } from '../../../protocol/messages/ack'
import { transferIdOf } from '../../../protocol/messages/authorization'
import { onlineAuthorizationRequestCodec } from '../../../protocol/messages/online-authorization'
import { refundRequestCodec } from '../../../protocol/messages/refund'
import type { Voucher } from '../../../protocol/messages/voucher'
import { Reason } from '../../../protocol/reasons'
import { nodeEd25519 } from '../../../protocol/signature/node'
import { walletAccountId } from '../../../hub/accounts'
import type { GatewayView } from '../../../hub/gateways/view'
import { feeScheduleResolver } from '../../../hub/ingest/fees'
import { RecordIngest } from '../../../hub/ingest/ingest'
import { IngestStore } from '../../../hub/ingest/store'
import { VerifyPool } from '../../../hub/ingest/verify-pool'
import { cashTransferId } from '../../../hub/ledger/ids'
import { PgLedgerStore } from '../../../hub/ledger/pg-store'
import { Refunds } from '../../../hub/refunds/refunds'
import { RefundStore } from '../../../hub/refunds/store'
import { cashInPostings } from '../../../hub/ledger/settle'
import { verifyLedger } from '../../../hub/ledger/verify'
import { migratePg } from '../../../hub/store/pg/migrate'
import { PgEngine } from '../../../hub/store/sql'
import { DeviceStore } from '../../../hub/vouchers/device-store'
import { VoucherService } from '../../../hub/vouchers/vouchers'
import { VirtualPhone } from '../../../simulator/phone'
import { SimulatedGatewayChain } from '../../../simulator/gateway-chain'
import { postgresSkip, testDatabase } from '../../helpers/postgres'
import { addUsers } from '../helpers/foreign-rows'

const HUBS = 3
const GATEWAYS = 3
const CUSTOMERS = 6
const RECORDS_PER_GATEWAY = 24
const BATCH = 6
/** The batches of every chain in the order a hub takes them from its turn on: the third before the second, so gaps open. */
const BATCH_ORDER = [0, 2, 1, 3]
const CURRENCY = 'XOF'
const T0 = Date.UTC(2025, 0, 15, 12)

const skip = postgresSkip()
let schemas = 0

interface Hub {
  readonly ingest: RecordIngest
  readonly ledger: PgLedgerStore
  readonly engine: PgEngine
  readonly vouchers: VoucherService
  readonly devices: DeviceStore
  readonly refunds: Refunds
}

/** `count` hubs on one new schema, sharing the hub's keys and configuration as hubs of one deployment do. */
async function hubs(test: Test, count: number, gateway: (eui: string) => Promise<GatewayView | undefined>): Promise<Hub[]> {
  const database = await testDatabase(t)
  schemas += 1
  const schema = `ingest_race_${process.pid}_${schemas}`
  const clock = new ManualClock(T0)
  const hubKeys = nodeEd25519.keyPairFromSeed(randomBytes(32))
  const pools: Pool[] = []
  for (let index = 0; index < count; index += 1) {
    const pool = await database.pool(schema)
    test.teardown(() => pool.end())
    pools.push(pool)
  }
  await Promise.all(pools.map(pool => migratePg(pool)))
  return pools.map((pool) => {
    const verify = new VerifyPool(1)
    test.teardown(() => verify.close())
    const ledger = new PgLedgerStore(pool, { clock })
    const engine = new PgEngine(pool)
    const ingest = new RecordIngest({
      store: new IngestStore(engine), ledger, pool: verify, clock, hubKeys, ed25519: nodeEd25519,
      fees: feeScheduleResolver(ledger, clock), gateway, revoke: async () => undefined,
      settings: { revocationGrace_ms: 10 * 60 * 1000, clockSkewMax_ms: 5 * 60 * 1000, rejectedBatchesKept_max: 100 },
      events: { publish: () => undefined, publishAll: () => undefined },
    })
    const vouchers = new VoucherService(engine, ledger, hubKeys, nodeEd25519, clock, size => randomBytes(size), pino({ level: 'silent' }))
    const refunds = new Refunds({ store: new RefundStore(engine), ledger, clock, hubKeys, ed25519: nodeEd25519, gateway })
    return { ingest, ledger, engine, vouchers, devices: new DeviceStore(engine), refunds }
  })
}

/** The gateways and their owners' wallets; the customers with their wallets, holds, vouchers and phones. */
async function seed(hub: Hub) {
  const { ledger, engine } = hub
  await ledger.systemAccounts(CURRENCY)
  await ledger.addFeeSchedule({
    id: `counter.${CURRENCY}.v1`, gatewayType: 'counter', currency: CURRENCY, version: 1,
    basisPoints: 100, fixedMinor: 0, ownerShareBasisPoints: 5_000, effectiveFromMs: 0,
  })
  const gateways = new Map<string, { chain: SimulatedGatewayChain; view: GatewayView }>()
  for (let index = 0; index < GATEWAYS; index += 1) {
    const eui = `00000000000000C${index}`
    const ownerUserId = `owner-${index}`
    await addUsers(engine, [ownerUserId])
    const merchant = await ledger.openWallet({ id: walletAccountId(ownerUserId, CURRENCY), userId: ownerUserId, currency: CURRENCY })
    const keys = nodeEd25519.keyPairFromSeed(randomBytes(32))
    await engine.run(`INSERT INTO gateways (id, eui, name, type, status, owner_user_id, merchant_account_id, public_key, created_at_ms)
      VALUES (?, ?, ?, 'counter', 'provisioned', ?, ?, ?, ?)`, [`gw_${eui}`, eui, `Gateway ${eui}`, ownerUserId, merchant.id, keys.publicKey, T0])
    gateways.set(eui, {
      chain: new SimulatedGatewayChain(eui, keys),
      view: {
        id: `gw_${eui}`, eui, type: 'counter', status: 'provisioned', publicKey: keys.publicKey, chain: 1, ownerUserId,
        merchantAccountId: merchant.id,
      },
    })
  }
  const customers: Customer[] = []
  for (let index = 0; index < CUSTOMERS; index += 1) customers.push(await addCustomer(hub, index))
  return { gateways, customers }
}

interface Customer {
  readonly phone: VirtualPhone
  readonly voucher: Voucher
}

/** A customer with a wallet in credit and a bound phone, and a voucher the vouchers' service issues (its hold placed). */
async function addCustomer({ ledger, vouchers, devices, engine }: Hub, index: number): Promise<Customer> {
  const userId = `customer-${index}`
  await addUsers(engine, [userId])
  const wallet = await ledger.openWallet({ id: walletAccountId(userId, CURRENCY), userId, currency: CURRENCY })
  await ledger.applyTransfers([{
    id: cashTransferId('cash_in', wallet.id, 'seed'), kind: 'cash_in', currency: CURRENCY,
    postings: cashInPostings({ externalAccountId: `external:${CURRENCY}`, walletAccountId: wallet.id, amountMinor: 200_000 }),
  }])
  const phone = new VirtualPhone(nodeEd25519.keyPairFromSeed(randomBytes(32)), nodeEd25519)
  const device = { id: `dev_${index}`, userId, imei: `IMEI${index}`, publicKey: phone.keys.publicKey, model: null, brand: null, boundAtMs: T0 }
  await devices.insert(device)
  const { voucher } = await vouchers.issue({ ...device, status: 'bound', unboundAtMs: null }, 30_000, CURRENCY)
  phone.addVoucher(voucher)
  return { phone, voucher }
}

function pay(customer: Customer, chain: SimulatedGatewayChain, amount_minor: number): void {
  chain.append(customer.phone.authorize({
    gatewayEui: chain.eui, amountMinor: amount_minor, currency: CURRENCY, nonce: randomBytes(16), timeMs: T0, merchantName: 'Shop',
  }).authorization)
}

/**
 * Every gateway's chain of RECORDS_PER_GATEWAY payments, the customers taking turns; the first customer's phone,
 * its memory lost after its first payment, pays again under the same counter at the second gateway: a double spend.
 */
function takePayments(world: Awaited<ReturnType<typeof seed>>): void {
  const chains = [...world.gateways.values()].map(gateway => gateway.chain)
  for (let index = 0; index < RECORDS_PER_GATEWAY; index += 1) {
    chains.forEach((chain, at) => {
      const customer = world.customers[(index + at) % CUSTOMERS]!
      if (index === 1 && at === 1) world.customers[0]!.phone.forget(world.customers[0]!.voucher)
      pay(index === 1 && at === 1 ? world.customers[0]! : customer, chain, 100 + 7 * index + at)
    })
  }
}

type Answer = { readonly hub: number; readonly eui: string; readonly gatewaySeq: number; readonly outcome: AckOutcome; readonly reason: number }

t.test('hubs racing on copies of the same batches settle every payment once, and every ack agrees with what is stored', { skip }, async t => {
  const views = new Map<string, GatewayView>()
  const all = await hubs(t, HUBS, async eui => views.get(eui))
  const world = await seed(all[0]!)
  for (const [eui, { view }] of world.gateways) views.set(eui, view)
  takePayments(world)
  const answers: Answer[] = []
  const note = (hub: number, ack: Ack | null) => {
    t.not(ack, null, 'every copy is answered')
    for (const entry of ack!.entries) answers.push({ hub, eui: ack!.gatewayEui, ...entry })
  }
  // Every hub takes every chain's batches in turn, each hub (and each chain) starting at another batch of the order:
  // copies of one batch meet in flight, and so do a batch and the one before it (a gap opened and filled at once).
  const chains = [...world.gateways.values()].map(gateway => gateway.chain)
  await Promise.all(all.flatMap((hub, index) => chains.map(async (chain, at) => {
    for (let turn = 0; turn < BATCH_ORDER.length; turn += 1) {
      const fromSeq = BATCH_ORDER[(turn + index + at) % BATCH_ORDER.length]! * BATCH + 1
      note(index, await hub.ingest.ingest(chain.eui, chain.batch(fromSeq, fromSeq + BATCH - 1)))
    }
  })))

  const stored = await all[0]!.engine.all<{ eui: string; gateway_seq: number; transfer_id: string; outcome: string; reason: number }>(
    'SELECT eui, gateway_seq, transfer_id, outcome, reason FROM gateway_records ORDER BY eui, gateway_seq')
  t.equal(stored.length, GATEWAYS * RECORDS_PER_GATEWAY, 'every record is stored once')
  const byRecord = new Map(stored.map(row => [`${row.eui}/${row.gateway_seq}`, row]))
  const flaggedCount = stored.filter(row => row.outcome === 'flagged').length
  t.equal(flaggedCount, 1, 'the double spend is the one record flagged')
  t.same(stored.filter(row => row.outcome === 'rejected'), [], 'no payment is refused')

  // The winning copy of each record says what was stored; every other copy answers as a duplicate would.
  const winners = new Map<string, number>()
  for (const answer of answers) {
    const key = `${answer.eui}/${answer.gatewaySeq}`
    const row = byRecord.get(key)!
    const expected = row.outcome === 'flagged' ? AckOutcome.Flagged : AckOutcome.Settled
    if (answer.outcome === expected) winners.set(key, (winners.get(key) ?? 0) + 1)
    else if (answer.outcome !== AckOutcome.Duplicate) t.fail(`hub ${answer.hub} answered ${answer.outcome} for ${key}, stored ${row.outcome}`)
  }
  t.equal(answers.length, HUBS * GATEWAYS * RECORDS_PER_GATEWAY, 'every hub answered every record')
  t.same([...new Set(winners.values())], [1], 'one copy of each record is the one that settled it')
  t.equal(winners.size, stored.length)

  const transfers = await all[0]!.engine.get<{ n: number }>(`SELECT COUNT(*) AS n FROM transfers WHERE kind = 'offline_payment'`)
  t.equal(transfers!.n, stored.length, 'each payment is one transfer')
  const distinct = await all[0]!.engine.get<{ n: number }>(
    `SELECT COUNT(*) AS n FROM gateway_records r JOIN transfers x ON x.id = r.transfer_id`)
  t.equal(distinct!.n, stored.length, 'every record\'s payment is in the ledger')
  const flags = await all[0]!.engine.all<{ kind: string }>('SELECT kind FROM double_spends')
  t.same(flags.map(flag => flag.kind), ['same_seq'], 'flagged once, with its proof')
  const positions = await all[0]!.engine.all<{ contiguous_seq: number; highest_seq: number }>(
    'SELECT contiguous_seq, highest_seq FROM gateway_chains ORDER BY eui')
  t.same(positions, [...world.gateways.keys()].map(() => ({ contiguous_seq: RECORDS_PER_GATEWAY, highest_seq: RECORDS_PER_GATEWAY })),
    'every chain is held whole')
  const open = await all[0]!.engine.get<{ n: number }>('SELECT COUNT(*) AS n FROM chain_gaps WHERE resolved_at_ms IS NULL')
  t.equal(open!.n, 0, 'every gap filled')
  t.same((await verifyLedger(all[0]!.ledger)).violations, [], 'the ledger verifies')

  // Later copies, at any hub, get the stored answers.
  for (const [index, hub] of all.entries()) {
    for (const { chain } of world.gateways.values()) {
      const ack = await hub.ingest.ingest(chain.eui, chain.batch())
      t.ok(ack!.entries.every(entry => entry.outcome === AckOutcome.Duplicate), `hub ${index}: every record of ${chain.eui} a duplicate`)
    }
  }
})

t.test('a double spend whose two payments reach two hubs at once is flagged once, by the hub that commits second', { skip }, async t => {
  const views = new Map<string, GatewayView>()
  const all = await hubs(t, HUBS, async eui => views.get(eui))
  const world = await seed(all[0]!)
  for (const [eui, { view }] of world.gateways) views.set(eui, view)
  const [first, second] = [...world.gateways.values()].map(gateway => gateway.chain)
  const ROUNDS = 6
  for (let round = 0; round < ROUNDS; round += 1) {
    // A new customer each round: their phone, its memory lost, pays at the second gateway under the same counter.
    const customer = await addCustomer(all[0]!, CUSTOMERS + round)
    pay(customer, first!, 1_000)
    customer.phone.forget(customer.voucher)
    pay(customer, second!, 2_000)
    const seq = first!.records.length
    const acks = await Promise.all([
      all[0]!.ingest.ingest(first!.eui, first!.batch(seq, seq)),
      all[1]!.ingest.ingest(second!.eui, second!.batch(seq, seq)),
    ])
    t.same(acks.map(ack => ack!.entries[0]!.outcome).sort(), [AckOutcome.Settled, AckOutcome.Flagged].sort(),
      `round ${round}: one payment settles, the other is flagged`)
  }
  const flags = await all[0]!.engine.get<{ n: number }>('SELECT COUNT(*) AS n FROM double_spends')
  t.equal(flags!.n, ROUNDS, 'one flag per double spend')
  t.same((await verifyLedger(all[0]!.ledger)).violations, [], 'the ledger verifies')
})

t.test('two conflicting online requests of one customer at two hubs at once: one is approved, the other refused and flagged', { skip }, async t => {
  const views = new Map<string, GatewayView>()
  const all = await hubs(t, HUBS, async eui => views.get(eui))
  const world = await seed(all[0]!)
  for (const [eui, { view }] of world.gateways) views.set(eui, view)
  const [first, second] = [...world.gateways.values()].map(gateway => gateway.chain)
  const ROUNDS = 4
  for (let round = 0; round < ROUNDS; round += 1) {
    const customer = await addCustomer(all[0]!, CUSTOMERS + round)
    const request = (chain: SimulatedGatewayChain, amount_minor: number) => onlineAuthorizationRequestCodec.encode({
      correlationId: randomBytes(16),
      authorization: customer.phone.authorize({
        gatewayEui: chain.eui, amountMinor: amount_minor, currency: CURRENCY, nonce: randomBytes(16), timeMs: T0, merchantName: 'Shop',
      }).authorization,
    })
    const one = request(first!, 1_000)
    customer.phone.forget(customer.voucher)
    const other = request(second!, 2_000)
    const answers = await Promise.all([
      all[0]!.ingest.authorizeOnline(first!.eui, one), all[1]!.ingest.authorizeOnline(second!.eui, other),
    ])
    t.same(answers.map(answer => answer!.approved).sort(), [false, true], `round ${round}: one approved`)
    t.equal(answers.find(answer => !answer!.approved)!.reason, Reason.DoubleSpend, 'the other refused as a double spend')
  }
  const flags = await all[0]!.engine.get<{ n: number }>('SELECT COUNT(*) AS n FROM double_spends')
  t.equal(flags!.n, ROUNDS, 'each kept once, with its proof')
  const approved = await all[0]!.engine.get<{ n: number }>('SELECT COUNT(*) AS n FROM online_payments')
  t.equal(approved!.n, ROUNDS, 'one approval on file per customer')
  t.same((await verifyLedger(all[0]!.ledger)).violations, [], 'the ledger verifies')
})

t.test('two refunds of one payment at two hubs at once, each more than half of it: one is approved, the other refused', { skip }, async t => {
  const views = new Map<string, GatewayView>()
  const all = await hubs(t, 2, async eui => views.get(eui))
  const world = await seed(all[0]!)
  for (const [eui, { view }] of world.gateways) views.set(eui, view)
  const [gateway] = [...world.gateways.values()]
  const { chain } = gateway!
  const ROUNDS = 4
  const PAYMENT_MINOR = 10_000
  // The merchant holds enough for both refunds of a round: what refuses the second is the payment's amount, not funds.
  pay(world.customers[CUSTOMERS - 1]!, chain, 25_000)
  await all[0]!.ingest.ingest(chain.eui, chain.batch())
  for (let round = 0; round < ROUNDS; round += 1) {
    const payment = world.customers[round]!.phone.authorize({
      gatewayEui: chain.eui, amountMinor: PAYMENT_MINOR, currency: CURRENCY, nonce: randomBytes(16), timeMs: T0, merchantName: 'Shop',
    }).authorization
    chain.append(payment)
    const seq = chain.records.length
    t.equal((await all[0]!.ingest.ingest(chain.eui, chain.batch(seq, seq)))!.entries[0]!.outcome, AckOutcome.Settled)
    const refund = () => refundRequestCodec.encode(refundRequestCodec.sign({
      refundId: randomBytes(16), transferId: transferIdOf(payment), gatewayEui: chain.eui, amountMinor: 6_000, currency: CURRENCY, timeMs: T0,
    }, chain.keys.secretKey, nodeEd25519))
    const answers = await Promise.all([all[0]!.refunds.handle(chain.eui, refund()), all[1]!.refunds.handle(chain.eui, refund())])
    t.same(answers.map(answer => answer!.approved).sort(), [false, true], `round ${round}: one refund approved`)
    t.equal(answers.find(answer => !answer!.approved)!.reason, Reason.RefundExceedsPayment, 'the other refused: it would pass the payment')
    const refunded = await all[0]!.engine.get<{ total: number }>(
      'SELECT CAST(SUM(amount_minor) AS BIGINT) AS total FROM refunds WHERE transfer_id = ?', [Buffer.from(transferIdOf(payment)).toString('hex')])
    t.equal(refunded!.total, 6_000, 'one refund on file')
  }
  const moved = await all[0]!.engine.get<{ n: number }>(`SELECT COUNT(*) AS n FROM transfers WHERE kind = 'refund'`)
  t.equal(moved!.n, ROUNDS, 'one refund transfer per payment')
  t.same((await verifyLedger(all[0]!.ledger)).violations, [], 'the ledger verifies')
})
