// The bulk enrollment's writes on both engines: a chunk's users, devices, vouchers and audit entry are written through
// the ledger's own transaction (openFundedWallets' alsoWrite), so they commit with its wallets and holds, and a refusal
// decided in that transaction (another hub took a phone or an email after the checks) leaves nothing of the chunk.
// The route around it (auth, replies, refusals found by the checks) is test/hub/bulk/bulk.test.ts, on SQLite.

import t from 'tap'
import { toHex } from '../../../protocol/bytes'
import { ManualClock } from '../../../protocol/clock'
import { nodeEd25519 } from '../../../protocol/signature/node'
import { AuditLog } from '../../../hub/audit/store'
import { enrollCustomersInBulk } from '../../../hub/bulk/customers'
import { bulkUserId } from '../../../hub/bulk/ids'
import type { LedgerStore } from '../../../hub/ledger/store'
import type { SqlEngine } from '../../../hub/store/sql'
import { UserStore } from '../../../hub/users/store'
import { DeviceStore } from '../../../hub/vouchers/device-store'
import { addUserRow, hubOn, secondOn, START_MS } from '../helpers/domain-engines'
import { engineTests, type EngineFactory } from '../helpers/engines'

const engineTest = engineTests(t)
const phoneKey = (n: number) => nodeEd25519.keyPairFromSeed(new Uint8Array(32).fill(100 + n)).publicKey

function customerItem(n: number) {
  return {
    fullName: `Bulk Customer ${n}`, email: `bulk${n}@payall.example`, cashIn: '50000', voucherAmount: '20000',
    device: { imei: `3500000000${String(n).padStart(5, '0')}`, publicKey: Buffer.from(phoneKey(n)).toString('base64'), model: 'Test phone' },
  }
}

/** One hub's enrollment on the database: the stores it writes, as services.ts builds them, and an operator to act. */
async function enrollmentOn(opened: Awaited<ReturnType<EngineFactory['open']>>, clock: ManualClock) {
  const hub = hubOn(opened, clock, 'bulk')
  const services = { users: new UserStore(hub.engine), devices: hub.devices, vouchers: hub.vouchers, audit: new AuditLog(hub.engine) }
  return { hub, services, operatorId: await addUserRow(hub.engine), context: { clock, ledger: hub.ledger } }
}

/** What "nothing was written" compares: the rows of every table a chunk writes. */
async function footprint(engine: SqlEngine): Promise<Record<string, number>> {
  const counts: Record<string, number> = {}
  for (const table of ['users', 'user_roles', 'devices', 'vouchers', 'voucher_holds', 'accounts', 'transfers', 'audit_log']) {
    counts[table] = (await engine.get<{ count: number }>(`SELECT count(*) AS count FROM ${table}`))!.count
  }
  return counts
}

/** The ledger, with `first` run as a chunk's openFundedWallets starts: another hub's writes landing after the chunk's checks. */
function ledgerRacedBy(ledger: LedgerStore, first: () => Promise<void>): LedgerStore {
  return new Proxy(ledger, {
    get(target, name) {
      if (name !== 'openFundedWallets') return Reflect.get(target, name)
      return async (...call: Parameters<LedgerStore['openFundedWallets']>) => {
        await first()
        return target.openFundedWallets(...call)
      }
    },
  })
}

engineTest('a chunk\'s users, devices, vouchers and audit entry commit with its wallets and holds; sent again, it is replayed', async (t, factory) => {
  const clock = new ManualClock(START_MS)
  const { hub, services, operatorId, context } = await enrollmentOn(await factory.open(t), clock)
  const request = { idempotencyKey: 'onboarding-engines', currency: 'XOF', items: [customerItem(1), customerItem(2)] }
  const outcome = await enrollCustomersInBulk(context, services, operatorId, request)
  t.equal(outcome.replayed, false)
  t.equal(outcome.customers.length, 2)
  for (const [index, customer] of outcome.customers.entries()) {
    const item = request.items[index]!
    t.match(await services.users.byId(customer.userId), { email: item.email, emailVerifiedAtMs: START_MS, roles: ['customer'] })
    t.equal((await hub.devices.boundByImei(item.device.imei))?.userId, customer.userId, 'the phone is bound to them')
    const voucherIdHex = toHex(customer.voucher.voucherId)
    t.equal(toHex((await hub.vouchers.encoded(voucherIdHex))!), toHex(customer.encodedVoucher), 'the voucher is stored')
    t.match(await hub.ledger.hold(voucherIdHex), { limitMinor: 20_000, walletAccountId: customer.walletAccountId })
    t.equal((await hub.ledger.account(customer.walletAccountId))?.balanceMinor, 30_000, 'cashed in, less the voucher\'s hold')
  }
  const audit = await services.audit.page(10, null)
  t.match(audit.entries, [{ action: 'bulk.customers', actorId: operatorId, detail: /^2 customers enrolled .*onboarding-engines/ }])

  const before = await footprint(hub.engine)
  const again = await enrollCustomersInBulk(context, services, operatorId, request)
  t.equal(again.replayed, true)
  const summary = (customers: typeof outcome.customers) =>
    customers.map(customer => [customer.userId, customer.walletAccountId, customer.deviceId, toHex(customer.encodedVoucher)])
  t.same(summary(again.customers), summary(outcome.customers), 'the same customers and vouchers')
  t.same(await footprint(hub.engine), before, 'nothing written twice')
})

engineTest('a phone bound and an email taken by another hub after the checks refuse the chunk in its transaction: nothing of it is written', async (t, factory) => {
  const clock = new ManualClock(START_MS)
  const opened = await factory.open(t)
  const { hub, services, operatorId } = await enrollmentOn(opened, clock)
  const other = (await secondOn(t, opened)).engine
  const request = { idempotencyKey: 'raced', currency: 'XOF', items: [customerItem(3), customerItem(4), customerItem(5)] }
  let before: Record<string, number> | undefined
  const ledger = ledgerRacedBy(hub.ledger, async () => {
    const otherUserId = await addUserRow(other)
    await new DeviceStore(other).insert({
      id: 'dev_other_hub', userId: otherUserId, imei: request.items[0]!.device.imei, publicKey: phoneKey(99), model: null, brand: null,
      boundAtMs: START_MS,
    })
    await new UserStore(other).insert({
      id: 'usr_other_hub', email: request.items[1]!.email, emailVerifiedAtMs: null, fullName: 'Signed up elsewhere', roles: ['customer'],
      passwordHash: 'x', createdAtMs: START_MS,
    })
    before = await footprint(hub.engine)
  })
  const refused = await enrollCustomersInBulk({ clock, ledger }, services, operatorId, request).catch((error: unknown) => error)
  t.match(refused, { code: 'BULK_ITEMS_REFUSED', message: '2 of 3 items refused; nothing was written' })
  t.same((refused as { items: Array<{ index: number; code: string }> }).items.map(item => [item.index, item.code]),
    [[0, 'DEVICE_ALREADY_BOUND'], [1, 'EMAIL_TAKEN']])
  t.ok(before !== undefined, 'the other hub wrote after the checks')
  t.same(await footprint(hub.engine), before, 'no user, device, voucher, wallet, hold or audit entry of the chunk')
  t.equal(await services.users.byId(bulkUserId('raced', 2)), undefined, 'not even the item nobody raced')
})
