// Seeded model-based test of the SQLite ledger: random sequences of cash-ins, cash-outs, P2P, holds, settlements
// (within and beyond the hold), releases, revocations, duplicates, conflicting reuses of ids and overdrafts.
// A small in-memory model predicts every outcome and balance; after every step verifyLedger must pass,
// and replaying the whole sequence afterwards must change nothing.

import t from 'tap'
import fc from 'fast-check'
import { sha256, toHex } from '../../../protocol/bytes'
import { computeFee, type FeeSchedule } from '../../../hub/ledger/fees'
import { cashTransferId, holdTransferId } from '../../../hub/ledger/ids'
import type { TransferInput } from '../../../hub/ledger/model'
import { cashInPostings, cashOutPostings, walletTransferPostings } from '../../../hub/ledger/settle'
import type { HoldOutcome, LedgerStore, PlaceHoldInput, SettleFromHoldInput, TransferOutcome } from '../../../hub/ledger/store'
import { verifyLedger } from '../../../hub/ledger/verify'
import { HOUR_MS, MINUTE_MS, ManualClock } from '../../../protocol/clock'
import { ledgerTests, type LedgerFactory, type OpenLedger } from '../helpers/ledger'

const SEED = 20250115
const RUNS = 100
// On PostgreSQL the first 30 of the same sequences, to keep the time the second store adds to CI small (all 100 took
// 31 s there against 28 s on SQLite, on 2 cores); they reach every branch the test checks for.
const RUNS_POSTGRES = 30
const COMMANDS_MIN = 10
const COMMANDS_MAX = 80
const GATEWAY_EUI = '0011223344556677'
const CUSTOMERS = ['alice', 'bob', 'carol'] as const
const WALLETS = [...CUSTOMERS, 'shop', 'owner'] as const
// Larger than all the money a sequence can ever cash in, so an overdraft stays one on replay.
const OVERDRAFT_MINOR = 1_000_000_000_000
const SCHEDULES: readonly FeeSchedule[] = [
  { id: 'pos-xof-1', gatewayType: 'pos', currency: 'XOF', version: 1, basisPoints: 150, fixedMinor: 5, ownerShareBasisPoints: 3_333, effectiveFromMs: 0 },
  { id: 'pos-xof-2', gatewayType: 'pos', currency: 'XOF', version: 2, basisPoints: 0, fixedMinor: 0, ownerShareBasisPoints: 0, effectiveFromMs: 0 },
  { id: 'pos-xof-3', gatewayType: 'pos', currency: 'XOF', version: 3, basisPoints: 10_000, fixedMinor: 0, ownerShareBasisPoints: 10_000, effectiveFromMs: 0 },
]

// --- commands, as generated, and the requests they resolve to against the model's state ---

type SimpleCommand =
  | { readonly type: 'cashIn'; readonly wallet: number; readonly amountMinor: number; readonly key: number }
  | { readonly type: 'cashOut'; readonly wallet: number; readonly permille: number; readonly key: number }
  | { readonly type: 'p2p'; readonly from: number; readonly to: number; readonly permille: number; readonly key: number }
  | { readonly type: 'overdraft'; readonly wallet: number; readonly viaCashOut: boolean }
  | { readonly type: 'foreign'; readonly wallet: number }

type Command =
  | SimpleCommand
  | { readonly type: 'placeHold'; readonly voucher: number; readonly customer: number; readonly permille: number }
  | { readonly type: 'settle'; readonly pick: number; readonly amountMinor: number; readonly record: number; readonly schedule: number }
  | { readonly type: 'release'; readonly pick: number }
  | { readonly type: 'revoke'; readonly pick: number }
  | { readonly type: 'advance'; readonly minutes: number }
  | { readonly type: 'duplicate'; readonly pick: number }
  | { readonly type: 'batch'; readonly items: readonly SimpleCommand[] }

type Request =
  | { readonly op: 'transfer'; readonly input: TransferInput }
  | { readonly op: 'place'; readonly input: PlaceHoldInput }
  | { readonly op: 'settle'; readonly input: SettleFromHoldInput }
  | { readonly op: 'release'; readonly voucherId: string }
  | { readonly op: 'revoke'; readonly voucherId: string }

interface Result {
  readonly status: 'applied' | 'exists' | 'conflict' | 'refused'
  readonly code?: string
}

const wallet = fc.integer({ min: 0, max: WALLETS.length - 1 })
const permille = fc.integer({ min: 1, max: 1_000 })
const simpleCommand: fc.Arbitrary<SimpleCommand> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ type: fc.constant('cashIn' as const), wallet, amountMinor: fc.integer({ min: 1, max: 100_000 }), key: fc.integer({ min: 0, max: 9 }) }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('cashOut' as const), wallet, permille, key: fc.integer({ min: 0, max: 9 }) }) },
  { weight: 3, arbitrary: fc.record({ type: fc.constant('p2p' as const), from: wallet, to: wallet, permille, key: fc.integer({ min: 0, max: 9 }) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('overdraft' as const), wallet, viaCashOut: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('foreign' as const), wallet }) },
)
const pick = fc.nat({ max: 1_000 })
const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 8, arbitrary: simpleCommand },
  { weight: 3, arbitrary: fc.record({ type: fc.constant('placeHold' as const), voucher: fc.integer({ min: 0, max: 5 }), customer: fc.integer({ min: 0, max: CUSTOMERS.length - 1 }), permille }) },
  { weight: 4, arbitrary: fc.record({ type: fc.constant('settle' as const), pick, amountMinor: fc.integer({ min: 1, max: 40_000 }), record: fc.integer({ min: 0, max: 5 }), schedule: fc.integer({ min: 0, max: SCHEDULES.length - 1 }) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('release' as const), pick }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('revoke' as const), pick }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('advance' as const), minutes: fc.integer({ min: 1, max: 180 }) }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('duplicate' as const), pick }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('batch' as const), items: fc.array(simpleCommand, { minLength: 1, maxLength: 6 }) }) },
)

function idOf(text: string): string {
  return toHex(sha256(new TextEncoder().encode(text)))
}

// --- the model: what the ledger must answer, computed the simple way ---

interface ModelHold {
  readonly walletAccountId: string
  readonly limitMinor: number
  settledMinor: number
  releasedMinor: number
  excessMinor: number
  readonly uploadDeadlineAtMs: number
  status: 'active' | 'revoked' | 'released'
}

class Model {
  readonly balances = new Map<string, number>()
  readonly currencies = new Map<string, string>()
  readonly contents = new Map<string, string>()
  readonly holds = new Map<string, ModelHold>()

  constructor() {
    for (const id of ['external:XOF', 'platform:XOF', ...WALLETS]) this.open(id, 'XOF')
    for (const id of ['external:EUR', 'platform:EUR', 'eve-eur']) this.open(id, 'EUR')
  }

  balance(accountId: string): number {
    return this.balances.get(accountId)!
  }

  apply(request: Request, now_ms: number): Result {
    switch (request.op) {
      case 'transfer': return this.transfer(request.input)
      case 'place': return this.place(request.input)
      case 'settle': return this.settle(request.input)
      case 'release': return this.release(request.voucherId, now_ms)
      case 'revoke': return this.revoke(request.voucherId)
    }
  }

  private transfer(input: TransferInput): Result {
    const repeat = this.repeat(input.id, JSON.stringify(input))
    if (repeat !== undefined) return repeat
    if (input.postings.some(posting => this.currencies.get(posting.accountId) !== input.currency)) {
      return { status: 'refused', code: 'CURRENCY_MISMATCH' }
    }
    for (const posting of input.postings) {
      const debit = posting.amountMinor < 0
      if (debit && !posting.accountId.startsWith('external:') && this.balance(posting.accountId) + posting.amountMinor < 0) {
        return { status: 'refused', code: 'INSUFFICIENT_FUNDS' }
      }
    }
    for (const posting of input.postings) this.add(posting.accountId, posting.amountMinor)
    this.contents.set(input.id, JSON.stringify(input))
    return { status: 'applied' }
  }

  private place(input: PlaceHoldInput): Result {
    const id = holdTransferId('place', input.voucherId)
    const repeat = this.repeat(id, JSON.stringify(input))
    if (repeat !== undefined) return repeat
    if (this.balance(input.walletAccountId) < input.limitMinor) return { status: 'refused', code: 'INSUFFICIENT_FUNDS' }
    const holdAccountId = `hold:${input.walletAccountId}`
    if (!this.balances.has(holdAccountId)) this.open(holdAccountId, 'XOF')
    this.add(input.walletAccountId, -input.limitMinor)
    this.add(holdAccountId, input.limitMinor)
    this.holds.set(input.voucherId, {
      walletAccountId: input.walletAccountId, limitMinor: input.limitMinor, settledMinor: 0, releasedMinor: 0,
      excessMinor: 0, uploadDeadlineAtMs: input.uploadDeadlineAtMs, status: 'active',
    })
    this.contents.set(id, JSON.stringify(input))
    return { status: 'applied' }
  }

  private settle(input: SettleFromHoldInput): Result {
    const repeat = this.repeat(input.transferId, JSON.stringify(input))
    if (repeat !== undefined) return repeat
    const hold = this.holds.get(input.voucherId)!
    const fee = computeFee(input.amountMinor, SCHEDULES.find(schedule => schedule.id === input.feeScheduleId)!)
    const fromHold_minor = Math.min(input.amountMinor, hold.limitMinor - hold.settledMinor - hold.releasedMinor)
    const excess_minor = input.amountMinor - fromHold_minor
    this.add(`hold:${hold.walletAccountId}`, -fromHold_minor)
    this.add(hold.walletAccountId, -excess_minor)
    this.add(input.merchantAccountId, fee.merchantMinor)
    this.add(input.ownerAccountId, fee.ownerShareMinor)
    this.add('platform:XOF', fee.platformShareMinor)
    hold.settledMinor += fromHold_minor
    hold.excessMinor += excess_minor
    this.contents.set(input.transferId, JSON.stringify(input))
    return { status: 'applied' }
  }

  private release(voucherId: string, now_ms: number): Result {
    const hold = this.holds.get(voucherId)!
    if (hold.status === 'released') return { status: 'exists' }
    if (now_ms < hold.uploadDeadlineAtMs) return { status: 'refused', code: 'HOLD_NOT_DUE' }
    const remaining_minor = hold.limitMinor - hold.settledMinor - hold.releasedMinor
    this.add(`hold:${hold.walletAccountId}`, -remaining_minor)
    this.add(hold.walletAccountId, remaining_minor)
    hold.releasedMinor += remaining_minor
    hold.status = 'released'
    return { status: 'applied' }
  }

  private revoke(voucherId: string): Result {
    const hold = this.holds.get(voucherId)!
    if (hold.status !== 'active') return { status: 'exists' }
    hold.status = 'revoked'
    return { status: 'applied' }
  }

  private repeat(id: string, content: string): Result | undefined {
    const stored = this.contents.get(id)
    if (stored === undefined) return undefined
    return stored === content ? { status: 'exists' } : { status: 'conflict', code: 'TRANSFER_CONFLICT' }
  }

  private open(accountId: string, currency: string): void {
    this.balances.set(accountId, 0)
    this.currencies.set(accountId, currency)
  }

  private add(accountId: string, amount_minor: number): void {
    this.balances.set(accountId, this.balance(accountId) + amount_minor)
  }
}

// --- resolving a command into concrete requests, given what the model knows now ---

function resolveSimple(command: SimpleCommand, model: Model, step: string): TransferInput {
  const transfer = (id: string, kind: TransferInput['kind'], postings: TransferInput['postings'], currency = 'XOF'): TransferInput =>
    ({ id, kind, currency, postings })
  const share = (accountId: string, perMille: number) => Math.max(1, Math.floor(model.balance(accountId) * perMille / 1_000))
  switch (command.type) {
    case 'cashIn': {
      const walletAccountId = WALLETS[command.wallet]!
      return transfer(cashTransferId('cash_in', walletAccountId, `key-${command.key}`), 'cash_in',
        cashInPostings({ externalAccountId: 'external:XOF', walletAccountId, amountMinor: command.amountMinor }))
    }
    case 'cashOut': {
      const walletAccountId = WALLETS[command.wallet]!
      if (model.balance(walletAccountId) < 1) return resolveSimple({ type: 'overdraft', wallet: command.wallet, viaCashOut: true }, model, step)
      return transfer(cashTransferId('cash_out', walletAccountId, `key-${command.key}`), 'cash_out',
        cashOutPostings({ walletAccountId, externalAccountId: 'external:XOF', amountMinor: share(walletAccountId, command.permille) }))
    }
    case 'p2p': {
      const payerAccountId = WALLETS[command.from]!
      const payeeAccountId = WALLETS[command.to === command.from ? (command.to + 1) % WALLETS.length : command.to]!
      if (model.balance(payerAccountId) < 1) return resolveSimple({ type: 'overdraft', wallet: command.from, viaCashOut: false }, model, step)
      return transfer(idOf(`p2p:${payerAccountId}:${payeeAccountId}:${command.key}`), 'p2p',
        walletTransferPostings({ payerAccountId, payeeAccountId, amountMinor: share(payerAccountId, command.permille) }))
    }
    case 'overdraft': {
      const walletAccountId = WALLETS[command.wallet]!
      const amount_minor = OVERDRAFT_MINOR + Math.max(0, model.balance(walletAccountId))
      return command.viaCashOut
        ? transfer(cashTransferId('cash_out', walletAccountId, `overdraft-${step}`), 'cash_out',
          cashOutPostings({ walletAccountId, externalAccountId: 'external:XOF', amountMinor: amount_minor }))
        : transfer(idOf(`overdraft:${step}`), 'p2p', walletTransferPostings({
          payerAccountId: walletAccountId, payeeAccountId: walletAccountId === 'shop' ? 'owner' : 'shop', amountMinor: amount_minor,
        }))
    }
    case 'foreign':
      return transfer(idOf(`foreign:${step}`), 'p2p', walletTransferPostings({
        payerAccountId: WALLETS[command.wallet]!, payeeAccountId: 'eve-eur', amountMinor: 1,
      }))
  }
}

function resolve(command: Command, model: Model, clock: ManualClock, history: readonly Request[], step: number): Request[] {
  const placed = [...model.holds.keys()]
  const placedPick = (index: number) => placed[index % placed.length]!
  switch (command.type) {
    case 'placeHold': {
      const walletAccountId = CUSTOMERS[command.customer]!
      const balance_minor = model.balance(walletAccountId)
      const affordable = balance_minor >= 1
      return [{
        op: 'place',
        input: {
          voucherId: affordable ? `voucher-${command.voucher}` : `voucher-unaffordable-${step}`,
          walletAccountId,
          limitMinor: affordable ? Math.max(1, Math.floor(balance_minor * command.permille / 1_000)) : OVERDRAFT_MINOR,
          expiresAtMs: clock.now_ms() + HOUR_MS,
          uploadDeadlineAtMs: clock.now_ms() + 2 * HOUR_MS,
        },
      }]
    }
    case 'settle': {
      if (placed.length === 0) return []
      const voucherId = placedPick(command.pick)
      return [{
        op: 'settle',
        input: {
          transferId: idOf(`record:${voucherId}:${command.record}`), voucherId, amountMinor: command.amountMinor,
          merchantAccountId: 'shop', ownerAccountId: 'owner', feeScheduleId: SCHEDULES[command.schedule]!.id,
          gatewayEui: GATEWAY_EUI,
        },
      }]
    }
    case 'release': {
      const due = placed.filter(voucherId => model.holds.get(voucherId)!.uploadDeadlineAtMs <= clock.now_ms())
      return due.length === 0 ? [] : [{ op: 'release', voucherId: due[command.pick % due.length]! }]
    }
    case 'revoke':
      return placed.length === 0 ? [] : [{ op: 'revoke', voucherId: placedPick(command.pick) }]
    case 'advance':
      clock.advance(command.minutes * MINUTE_MS)
      return []
    case 'duplicate':
      return history.length === 0 ? [] : [history[command.pick % history.length]!]
    case 'batch': {
      // Resolved one by one, each against the model as the earlier items of the batch will leave it.
      const scratch = Object.assign(Object.create(Object.getPrototypeOf(model)) as Model, {
        balances: new Map(model.balances), currencies: model.currencies, contents: new Map(model.contents), holds: model.holds,
      })
      return command.items.map((item, index) => {
        const request: Request = { op: 'transfer', input: resolveSimple(item, scratch, `${step}.${index}`) }
        scratch.apply(request, clock.now_ms())
        return request
      })
    }
    default:
      return [{ op: 'transfer', input: resolveSimple(command, model, String(step)) }]
  }
}

// --- running requests against the store ---

function resultOf(outcome: TransferOutcome | HoldOutcome): Result {
  return outcome.status === 'refused' || outcome.status === 'conflict'
    ? { status: outcome.status, code: outcome.error.code }
    : { status: outcome.status }
}

async function execute(store: LedgerStore, requests: readonly Request[], batched: boolean): Promise<Result[]> {
  if (batched) {
    return (await store.applyTransfers(requests.map(request => (request as { input: TransferInput }).input))).map(resultOf)
  }
  const results: Result[] = []
  for (const request of requests) {
    switch (request.op) {
      case 'transfer': results.push(resultOf((await store.applyTransfers([request.input]))[0]!)); break
      case 'place': results.push(resultOf(await store.placeHold(request.input))); break
      case 'settle': results.push(resultOf((await store.settleFromHolds([request.input]))[0]!)); break
      case 'release': results.push(resultOf(await store.releaseHold(request.voucherId))); break
      case 'revoke': results.push(resultOf(await store.revokeHold(request.voucherId))); break
    }
  }
  return results
}

async function storedBalances(ledger: OpenLedger): Promise<Map<string, number>> {
  const rows = await ledger.query('SELECT id, balance_minor FROM accounts') as Array<{ id: string; balance_minor: number }>
  return new Map(rows.map(row => [row.id, row.balance_minor]))
}

async function storedRowCounts(ledger: OpenLedger): Promise<string> {
  return JSON.stringify((await ledger.query(
    'SELECT (SELECT COUNT(*) FROM transfers) AS transfers, (SELECT COUNT(*) FROM postings) AS postings, (SELECT COUNT(*) FROM accounts) AS accounts'))[0])
}

function sorted(balances: ReadonlyMap<string, number>): Array<[string, number]> {
  return [...balances.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
}

/** Counts what a sequence did, so the test can show it reached every branch it claims to cover. */
type Tally = Map<string, number>

function count(tally: Tally, key: string): void {
  tally.set(key, (tally.get(key) ?? 0) + 1)
}

async function runSequence(commands: readonly Command[], tally: Tally, factory: LedgerFactory): Promise<void> {
  // The ledger lives for one sequence: what it leaves behind is removed when the sequence ends.
  const teardowns: Array<() => void | Promise<void>> = []
  const clock = new ManualClock(Date.UTC(2025, 0, 15, 8))
  const ledger = await factory.open({ teardown: fn => teardowns.push(fn) }, { clock })
  try {
    const { store } = ledger
    const model = new Model()
    for (const currency of ['XOF', 'EUR']) await store.systemAccounts(currency)
    for (const id of WALLETS) await store.openWallet({ id, userId: `user-${id}`, currency: 'XOF' })
    await store.openWallet({ id: 'eve-eur', userId: 'user-eve', currency: 'EUR' })
    for (const schedule of SCHEDULES) await store.addFeeSchedule(schedule)

    const history: Request[] = []
    for (const [step, command] of commands.entries()) {
      const requests = resolve(command, model, clock, history, step)
      const expected = requests.map(request => model.apply(request, clock.now_ms()))
      const actual = await execute(store, requests, command.type === 'batch')
      assertEqual(actual, expected, `step ${step} (${command.type}) outcomes`)
      requests.forEach((request, index) => count(tally, `${request.op} ${actual[index]!.status} ${actual[index]!.code ?? ''}`.trim()))
      assertEqual(sorted(await storedBalances(ledger)), sorted(model.balances), `step ${step} (${command.type}) balances`)
      const verification = await verifyLedger(store)
      assertEqual(verification.violations, [], `step ${step} (${command.type}) verification`)
      history.push(...requests)
    }
    for (const [voucherId, hold] of model.holds) {
      if (hold.excessMinor > 0) count(tally, 'hold with excess')
      if (model.balance(hold.walletAccountId) < 0) count(tally, 'customer in debt')
      const stored = await store.hold(voucherId)
      assertEqual([stored?.settledMinor, stored?.releasedMinor, stored?.excessMinor, stored?.status],
        [hold.settledMinor, hold.releasedMinor, hold.excessMinor, hold.status], `hold ${voucherId}`)
    }

    // Replay everything, in order, one request at a time: every answer is a repeat, a conflict or the same refusal.
    const balancesBefore = sorted(await storedBalances(ledger))
    const rowsBefore = await storedRowCounts(ledger)
    const replayed = await execute(store, history, false)
    replayed.forEach((result, index) => {
      const expected = model.apply(history[index]!, clock.now_ms())
      assertEqual(result, expected, `replay of request ${index}`)
      if (result.status === 'applied') throw new Error(`replay of request ${index} applied it again`)
    })
    assertEqual(sorted(await storedBalances(ledger)), balancesBefore, 'balances after the replay')
    assertEqual(await storedRowCounts(ledger), rowsBefore, 'rows after the replay')
    assertEqual((await verifyLedger(store)).violations, [], 'verification after the replay')
  } finally {
    for (const teardown of teardowns.reverse()) await teardown()
  }
}

function assertEqual(actual: unknown, expected: unknown, what: string): void {
  const actualJson = JSON.stringify(actual)
  const expectedJson = JSON.stringify(expected)
  if (actualJson !== expectedJson) throw new Error(`${what}: expected ${expectedJson}, got ${actualJson}`)
}

// Runs on SQLite and on PostgreSQL (test/hub/helpers/ledger.ts), the same sequences on each.
const test = ledgerTests(t)

test('random sequences keep every invariant after every step, and replaying one changes nothing', async (t, factory) => {
  const tally: Tally = new Map()
  await fc.assert(fc.asyncProperty(fc.array(command, { minLength: COMMANDS_MIN, maxLength: COMMANDS_MAX, size: 'max' }), async commands => {
    await runSequence(commands, tally, factory)
  }), { seed: SEED, numRuns: factory.kind === 'postgres' ? RUNS_POSTGRES : RUNS })
  t.comment(JSON.stringify(Object.fromEntries([...tally.entries()].sort())))
  for (const reached of [
    'transfer applied', 'transfer exists', 'transfer conflict TRANSFER_CONFLICT', 'transfer refused INSUFFICIENT_FUNDS',
    'transfer refused CURRENCY_MISMATCH', 'place applied', 'place exists', 'place conflict TRANSFER_CONFLICT',
    'place refused INSUFFICIENT_FUNDS', 'settle applied', 'settle exists', 'settle conflict TRANSFER_CONFLICT',
    'release applied', 'release exists', 'revoke applied', 'revoke exists', 'hold with excess', 'customer in debt',
  ]) {
    t.ok((tally.get(reached) ?? 0) > 0, `the sequences reached: ${reached}`)
  }
})
