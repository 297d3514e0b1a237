// A small world for ingest tests: a hub context on a real SQLite file, gateways with their own
// keys and record chains, customers with wallets, bound phones and vouchers.

import type { Test } from 'tap'
import { randomBytes } from 'node:crypto'
import { nodeEd25519 } from '../../../protocol/signature/node'
import type { KeyPair } from '../../../protocol/signature/ed25519'
import { walletAccountId } from '../../../hub/accounts'
import type { PublishedMessage } from '../../../hub/bus'
import { audienceLookups } from '../../../hub/events/audience'
import { LiveEvents } from '../../../hub/events/live-events'
import type { LiveEvent } from '../../../hub/events/model'
import { EventIdStore } from '../../../hub/events/sequence-store'
import { GatewayStore } from '../../../hub/gateways/store'
import { feeScheduleResolver } from '../../../hub/ingest/fees'
import type { IngestMetrics } from '../../../hub/ingest/dependencies'
import type { GatewayView as IngestGateway } from '../../../hub/gateways/view'
import { RecordIngest } from '../../../hub/ingest/ingest'
import { IngestStore } from '../../../hub/ingest/store'
import { VerifyPool } from '../../../hub/ingest/verify-pool'
import { cashTransferId } from '../../../hub/ledger/ids'
import { verifyLedger } from '../../../hub/ledger/verify'
import { DeviceStore } from '../../../hub/vouchers/device-store'
import { Revocations } from '../../../hub/vouchers/revocations'
import { VoucherService } from '../../../hub/vouchers/vouchers'
import { VirtualPhone } from '../../../simulator/phone'
import { SimulatedGatewayChain } from '../../../simulator/gateway-chain'
import { addUser, testContext, type Tap } from '../http/fixtures'
import { DAY_MS } from '../../../protocol/clock'

export const CURRENCY = 'XOF'

/** A gateway in the world: its chain, and the owner and merchant account the hub knows it by. */
export class TestGateway extends SimulatedGatewayChain {
  constructor(eui: string, keys: KeyPair, readonly ownerUserId: string, readonly merchantAccountId: string) {
    super(eui, keys)
  }
}

export async function ingestWorld(t: Tap, options: { seed?: string; metrics?: IngestMetrics } = {}) {
  const { context, clock } = testContext(t, { seed: options.seed ?? 'ingest' })
  const { db, engine, ledger } = context
  const published = (context.bus as unknown as { published: PublishedMessage[] }).published
  const pool = new VerifyPool(1)
  t.teardown(() => pool.close())
  const revocations = new Revocations(engine, ledger, context.bus, context.hubKeys, nodeEd25519, clock, DAY_MS, context.log)
  const vouchers = new VoucherService(engine, ledger, context.hubKeys, nodeEd25519, clock, context.random, context.log)
  const devices = new DeviceStore(engine)
  const store = new IngestStore(context.engine)
  const gatewayRow = db.prepare<[string], { id: string; eui: string; type: string; status: string; public_key: Buffer | null;
    chain: number; owner_user_id: string | null; merchant_account_id: string | null }>(
    `SELECT id, eui, type, status, public_key, chain, owner_user_id, merchant_account_id FROM gateways
     WHERE eui = ? ORDER BY status = 'retired', created_at_ms DESC LIMIT 1`)
  const lookup = async (eui: string): Promise<IngestGateway | undefined> => {
    const row = gatewayRow.get(eui)
    return row === undefined ? undefined : {
      id: row.id, eui: row.eui, type: row.type, status: row.status, publicKey: row.public_key === null ? null : new Uint8Array(row.public_key),
      chain: row.chain, ownerUserId: row.owner_user_id, merchantAccountId: row.merchant_account_id,
    }
  }
  // The hub's event hub over this world's stores; `heard` is every event it numbered, in order.
  const gateways = new GatewayStore(context.engine)
  const events = new LiveEvents({
    ids: new EventIdStore(context.engine),
    lookups: audienceLookups(gateways, ledger),
    log: context.log,
  })
  const heard: LiveEvent[] = []
  events.listen({ event: event => heard.push(event), accessChanged: () => undefined })
  const ingest = new RecordIngest({
    store, ledger, pool, clock, hubKeys: context.hubKeys, ed25519: nodeEd25519,
    fees: feeScheduleResolver(ledger, clock),
    gateway: lookup,
    revoke: async (ids, reason) => { await revocations.revoke(ids, reason) },
    settings: { revocationGrace_ms: 10 * 60 * 1000, clockSkewMax_ms: 5 * 60 * 1000, rejectedBatchesKept_max: 100 },
    events,
    ...(options.metrics !== undefined && { metrics: options.metrics }),
  })
  let users = 0

  async function cashIn(wallet: string, amount_minor: number): Promise<void> {
    const { external } = await ledger.systemAccounts(CURRENCY)
    const [outcome] = await ledger.applyTransfers([{
      id: cashTransferId('cash_in', wallet, `seed-${wallet}-${amount_minor}-${users}`),
      kind: 'cash_in',
      currency: CURRENCY,
      postings: [
        { accountId: external.id, amountMinor: -amount_minor, role: 'payer' },
        { accountId: wallet, amountMinor: amount_minor, role: 'payee' },
      ],
    }])
    if (outcome!.status !== 'applied') throw new Error(`cash-in ${outcome!.status}`)
  }

  /** `publicKey` stands for a key stored before the hub checked keys; the gateway's own keys sign regardless. */
  async function addGateway(eui: string, type = 'counter', options: { publicKey?: Uint8Array } = {}): Promise<TestGateway> {
    const ownerUserId = await addUser(context, { email: `owner${++users}@example.com`, passwordHash: 'x', role: 'owner' })
    const merchant = await ledger.openWallet({ id: walletAccountId(ownerUserId, CURRENCY), userId: ownerUserId, currency: CURRENCY })
    const keys = nodeEd25519.keyPairFromSeed(context.random(32))
    db.prepare(
      `INSERT INTO gateways (id, eui, name, type, status, owner_user_id, merchant_account_id, public_key, created_at_ms)
       VALUES (?, ?, ?, ?, 'provisioned', ?, ?, ?, ?)`,
    ).run(`gw_${eui}`, eui, `Gateway ${eui}`, type, ownerUserId, merchant.id, Buffer.from(options.publicKey ?? keys.publicKey), clock.now_ms())
    return new TestGateway(eui, keys, ownerUserId, merchant.id)
  }

  /** `devicePublicKey` stands for a device bound before the hub checked keys; the phone's own keys sign regardless. */
  async function addCustomer(balance_minor: number, voucherLimit_minor: number, options: { devicePublicKey?: Uint8Array } = {}) {
    const userId = await addUser(context, { email: `customer${++users}@example.com`, passwordHash: 'x', role: 'customer' })
    const wallet = await ledger.openWallet({ id: walletAccountId(userId, CURRENCY), userId, currency: CURRENCY })
    if (balance_minor > 0) await cashIn(wallet.id, balance_minor)
    const keys = nodeEd25519.keyPairFromSeed(context.random(32))
    const device = {
      id: `dev_${users}`, userId, imei: `IMEI${users}`, publicKey: options.devicePublicKey ?? keys.publicKey, model: null, brand: null,
      boundAtMs: clock.now_ms(),
    }
    await devices.insert(device)
    const phone = new VirtualPhone(keys, nodeEd25519)
    const issued = await vouchers.issue({ ...device, status: 'bound', unboundAtMs: null }, voucherLimit_minor, CURRENCY)
    phone.addVoucher(issued.voucher)
    return { userId, wallet: wallet.id, phone, voucher: issued.voucher, voucherIdHex: issued.voucherIdHex, device }
  }

  function pay(phone: VirtualPhone, gateway: TestGateway, amount_minor: number) {
    return phone.authorize({
      gatewayEui: gateway.eui, amountMinor: amount_minor, currency: CURRENCY, nonce: randomBytes(16), timeMs: clock.now_ms(),
      merchantName: 'Test shop',
    }).authorization
  }

  /** A gateway whose chain holds two payments, 1 000 then 2 500, of a customer with 100 000 and a voucher of 30 000. */
  async function twoPayments(eui: string) {
    const gateway = await addGateway(eui)
    const customer = await addCustomer(100_000, 30_000)
    gateway.append(pay(customer.phone, gateway, 1_000))
    gateway.append(pay(customer.phone, gateway, 2_500))
    return { gateway, customer }
  }

  /**
   * A double spend at two gateways: a customer with 10 000 and a voucher of 10 000 pays 8 000 at the first; then,
   * their phone's memory of it lost, 9 000 at the second under the same counter. Neither record is ingested yet.
   */
  async function doubleSpendAtTwoGateways(firstEui: string, secondEui: string) {
    const first = await addGateway(firstEui)
    const second = await addGateway(secondEui)
    const customer = await addCustomer(10_000, 10_000)
    first.append(pay(customer.phone, first, 8_000))
    customer.phone.forget(customer.voucher)
    second.append(pay(customer.phone, second, 9_000))
    return { first, second, customer }
  }

  async function balance(accountId: string): Promise<number> {
    return (await ledger.account(accountId))!.balanceMinor
  }

  async function assertLedgerOk(t: Test): Promise<void> {
    const verification = await verifyLedger(ledger)
    t.same(verification.violations, [], 'the ledger keeps every invariant')
  }

  return {
    context, clock, db, ledger, ingest, store, published, revocations, vouchers, events, heard, addGateway, addCustomer, pay, balance,
    assertLedgerOk, cashIn, twoPayments, doubleSpendAtTwoGateways,
  }
}
