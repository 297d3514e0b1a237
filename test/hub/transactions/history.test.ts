// Transaction history on both engines, read from the ledger's tables (and the mobile payments') as they are: a
// user's net movement per transfer, newest first, with its reference; a gateway's transfers by page and by key.

import t from 'tap'
import type { SqlEngine } from '../../../hub/store/sql'
import { TransactionHistory, type GatewayTransaction } from '../../../hub/transactions/history'
import { engineTests } from '../helpers/engines'
import { addUsers } from '../helpers/foreign-rows'

const engineTest = engineTests(t)

const EUI = '00000000000000E1'
const OTHER_EUI = '00000000000000E2'
const END_MS = Date.UTC(9999, 0, 1)

const hex64 = (n: number) => n.toString(16).padStart(64, '0')

async function account(engine: SqlEngine, id: string, userId: string | null, kind: string, walletAccountId: string | null = null): Promise<void> {
  await engine.run(`INSERT INTO accounts (id, user_id, kind, currency, wallet_account_id, created_at_ms) VALUES (?, ?, ?, 'XOF', ?, 0)`,
    [id, userId, kind, walletAccountId])
}

/** A transfer and its postings, as the ledger writes them (balances are not this test's). */
async function transfer(engine: SqlEngine, n: number, kind: string, at_ms: number, postings: ReadonlyArray<[string, number, string]>,
  options: { gatewayEui?: string; metadata?: object } = {}): Promise<string> {
  const id = hex64(n)
  const amount_minor = postings.reduce((sum, [, amount]) => sum + Math.max(amount, 0), 0)
  await engine.write(async (sql) => {
    const inserted = await sql.get<{ seq: number }>(`INSERT INTO transfers (id, kind, currency, amount_minor, gateway_eui, metadata,
      content_sha256, created_at_ms) VALUES (?, ?, 'XOF', ?, ?, ?, ?, ?) RETURNING seq`,
    [id, kind, amount_minor, options.gatewayEui ?? null, options.metadata === undefined ? null : JSON.stringify(options.metadata), id, at_ms])
    for (const [index, [accountId, amount, role]] of postings.entries()) {
      await sql.run('INSERT INTO postings (transfer_seq, posting_index, account_id, amount_minor, role) VALUES (?, ?, ?, ?, ?)',
        [inserted!.seq, index, accountId, amount, role])
    }
  })
  return id
}

engineTest('a user’s history nets each transfer on their wallet and holds, with their mobile payments not settled', async (t, factory) => {
  const { engine } = await factory.open(t)
  await t.test('newest first, by status and window, paged', async (t) => {
    await addUsers(engine, ['ann', 'bob'])
    await account(engine, 'ext.XOF', null, 'external')
    await account(engine, 'ann.XOF', 'ann', 'wallet')
    await account(engine, 'ann.XOF.hold', 'ann', 'hold', 'ann.XOF')
    await account(engine, 'bob.XOF', 'bob', 'wallet')
    const cashIn = await transfer(engine, 1, 'cash_in', 1_000, [['ext.XOF', -1_000, 'payer'], ['ann.XOF', 1_000, 'payee']],
      { metadata: { reference: 'salary' } })
    await transfer(engine, 2, 'voucher_hold', 2_000, [['ann.XOF', -300, 'payer'], ['ann.XOF.hold', 300, 'hold']])
    const paid = await transfer(engine, 3, 'offline_payment', 3_000, [['ann.XOF.hold', -100, 'hold'], ['bob.XOF', 100, 'merchant']],
      { gatewayEui: EUI })
    const p2p = await transfer(engine, 4, 'p2p', 4_000, [['ann.XOF', -50, 'payer'], ['bob.XOF', 50, 'payee']], { metadata: { reference: 7 } })
    const payment = (id: string, status: string, created_ms: number, transferId: string | null) => engine.run(
      `INSERT INTO mobile_payments (id, payer_user_id, payee_user_id, payer_account_id, payee_account_id, currency, amount_minor,
         code_sha256, status, transfer_id, created_at_ms, expires_at_ms, closed_at_ms) VALUES (?, 'ann', 'bob', 'ann.XOF', 'bob.XOF', 'XOF', 20, ?, ?, ?, ?, ?, ?)`,
      [id, 'c'.repeat(64), status, transferId, created_ms, created_ms + 1_000, status === 'awaiting_confirmation' ? null : created_ms + 10])
    await payment('mp_waiting', 'awaiting_confirmation', 5_000, null)
    await payment('mp_cancelled', 'cancelled', 5_500, null)
    await payment('mp_settled', 'settled', 5_600, p2p)

    const history = new TransactionHistory(engine)
    const query = { userId: 'ann', fromMs: 0, toMs: END_MS, status: undefined, offset: 0, limit: 10, nowMs: 5_900 }
    const all = await history.ofUser(query)
    t.equal(all.total, 5, 'the hold placed nets to zero, and a settled mobile payment is its transfer')
    t.same(all.transactions, [
      { id: 'mp_cancelled', kind: 'p2p', status: 'cancelled', direction: 'out', amountMinor: 20, currency: 'XOF', gatewayEui: null, reference: null, createdAtMs: 5_500 },
      { id: 'mp_waiting', kind: 'p2p', status: 'awaiting_confirmation', direction: 'out', amountMinor: 20, currency: 'XOF', gatewayEui: null, reference: null, createdAtMs: 5_000 },
      { id: p2p, kind: 'p2p', status: 'completed', direction: 'out', amountMinor: 50, currency: 'XOF', gatewayEui: null, reference: null, createdAtMs: 4_000 },
      { id: paid, kind: 'offline_payment', status: 'completed', direction: 'out', amountMinor: 100, currency: 'XOF', gatewayEui: EUI, reference: null, createdAtMs: 3_000 },
      { id: cashIn, kind: 'cash_in', status: 'completed', direction: 'in', amountMinor: 1_000, currency: 'XOF', gatewayEui: null, reference: 'salary', createdAtMs: 1_000 },
    ])
    t.same((await history.ofUser({ ...query, nowMs: 6_000, status: 'expired' })).transactions.map(item => item.id), ['mp_waiting'],
      'a payment past its expiry shows as expired')
    const completed = await history.ofUser({ ...query, status: 'completed', offset: 1, limit: 1 })
    t.same([completed.total, completed.transactions.map(item => item.id)], [3, [paid]], 'the total counts the whole selection')
    t.same((await history.ofUser({ ...query, fromMs: 2_000, toMs: 5_000 })).transactions.map(item => item.id), [p2p, paid])
    t.same(await history.ofUser({ ...query, userId: 'bob' }).then(page => page.transactions.map(item => [item.direction, item.amountMinor])),
      [['in', 50], ['in', 100]], 'the payee sees money in')
  })
})

engineTest('a gateway’s transfers: newest first by page with the window’s count, oldest first by key', async (t, factory) => {
  const { engine } = await factory.open(t)
  await account(engine, 'ext.XOF', null, 'external')
  await account(engine, 'shop.XOF', null, 'wallet')
  const take = (n: number, at_ms: number, eui = EUI) =>
    transfer(engine, n, 'online_payment', at_ms, [['ext.XOF', -n, 'payer'], ['shop.XOF', n, 'merchant']], { gatewayEui: eui })
  // Ids ordered against time at one instant: the key breaks ties by id.
  for (const [n, at_ms] of [[5, 1_000], [3, 2_000], [4, 2_000], [1, 2_000], [2, 3_000]] as const) await take(n, at_ms)
  await take(6, 2_000, OTHER_EUI)
  const history = new TransactionHistory(engine)

  const newest = await history.ofGateway(EUI, 0, END_MS, 0, 3)
  t.equal(newest.total, 5)
  t.same(newest.transactions.map(item => item.id), [hex64(2), hex64(4), hex64(3)], 'newest first, ties by id, descending')
  t.same(newest.transactions[0], { id: hex64(2), kind: 'online_payment', currency: 'XOF', amountMinor: 2, voucherId: null, createdAtMs: 3_000 })
  t.same((await history.ofGateway(EUI, 0, END_MS, 3, 3)).transactions.map(item => item.id), [hex64(1), hex64(5)])
  t.equal(await history.countOfGateway(EUI, 2_000, 3_000), 3, 'from inclusive, to exclusive')
  t.same(await history.ofGateway(EUI, 3_001, END_MS, 0, 3), { transactions: [], total: 0 })

  const chronological: string[] = []
  let after: GatewayTransaction | null = null
  for (let pages = 0; pages < 10; pages += 1) {
    const page = await history.ofGatewayChronological(EUI, 0, END_MS, after, 2)
    if (page.length === 0) break
    chronological.push(...page.map(item => item.id))
    after = page.at(-1)!
  }
  t.same(chronological, [hex64(5), hex64(1), hex64(3), hex64(4), hex64(2)], 'every transfer once, oldest first, ties by id')
})
