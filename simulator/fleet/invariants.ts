// The checks after a fleet run (DESIGN "Testing"): money conserved (the hub's own ledger verify),
// every approved payment settled exactly once (what the simulator saw approved, the terminals'
// stores and the hub's transfers, compared), every chain gapless (in each store and as the hub
// sees it), every double spend detected. All through REST, so they hold for any hub.

import { equalBytes, sha256, toHex } from '../../protocol/bytes'
import { Reason } from '../../protocol/reasons'
import type { StoredRecord, TerminalStore } from '../../terminal/store/store'
import type { HubApi } from '../hub-api'

type InvariantName = 'money-conserved' | 'settled-exactly-once' | 'chains-gapless' | 'double-spends-detected'

export interface InvariantFailure {
  readonly invariant: InvariantName
  readonly detail: string
}

/** A payment the simulator saw approved at a terminal. */
export interface Approval {
  readonly terminal: number
  readonly gatewaySeq: number
  readonly transferIdHex: string
  readonly amountMinor: number
}

/** Two payments a phone and its clone signed under one voucher position; both were approved. */
export interface DoubleSpend {
  readonly originalTransferIdHex: string
  readonly cloneTransferIdHex: string
}

export interface CheckedTerminal {
  readonly eui: string
  readonly store: TerminalStore
}

export interface AckTotals {
  settled: number
  duplicates: number
  flagged: number
  rejected: number
  pending: number
}

/** Failures listed in full up to this many per invariant; past it, one line says how many more. */
const FAILURES_LISTED_MAX = 20
const STORE_PAGE_RECORDS = 1_000
const HUB_PAGE_SIZE = 100
const PAYMENT_TRANSFER_KIND = 'offline_payment'

export async function checkInvariants(input: {
  operator: HubApi
  terminals: readonly CheckedTerminal[]
  approvals: readonly Approval[]
  doubleSpends: readonly DoubleSpend[]
}): Promise<{ failures: InvariantFailure[]; totals: AckTotals }> {
  const failures = new FailureList()
  const acks: AckTally = {
    totals: { settled: 0, duplicates: 0, flagged: 0, rejected: 0, pending: 0 },
    outcomes: new Map(),
    refusedByDesign: new Set(),
  }
  await checkLedgerVerifies(input.operator, failures)
  for (const [index, terminal] of input.terminals.entries()) {
    const { eui, store } = terminal
    const records = readChain(store, eui, failures)
    tallyAcks(eui, records, acks, failures)
    const approvals = input.approvals.filter(approval => approval.terminal === index)
    checkApprovalsHeld(terminal, records, approvals, failures)
    const gatewayId = store.requireHubPin().gatewayId
    await checkSettledAtHub(input.operator, eui, gatewayId, approvals, acks.refusedByDesign, failures)
    await checkHubSeesChain(input.operator, terminal, gatewayId, failures)
  }
  checkDoubleSpendsFlagged(input.doubleSpends, acks.outcomes, failures)
  return { failures: failures.list(), totals: acks.totals }
}

/** What the terminals' records say about their acks, gathered across the fleet. */
interface AckTally {
  totals: AckTotals
  outcomes: Map<string, StoredRecord['ackOutcome']>
  /** Payments the hub refused by design: taken offline after their voucher was revoked. */
  refusedByDesign: Set<string>
}

async function checkLedgerVerifies(operator: HubApi, failures: FailureList): Promise<void> {
  const verify = await operator.ok('GET', '/ledger/verify')
  if (verify.ok === true) return
  for (const violation of verify.violations as Array<{ code: string; message: string }>) {
    failures.add('money-conserved', `ledger ${violation.code}: ${violation.message}`)
  }
  if (verify.violations.length === 0) failures.add('money-conserved', 'the hub\'s ledger verify answered ok: false')
}

function tallyAcks(eui: string, records: readonly StoredRecord[], acks: AckTally, failures: FailureList): void {
  const { totals } = acks
  for (const record of records) {
    acks.outcomes.set(toHex(record.transferId), record.ackOutcome)
    if (record.status === 'pending') {
      totals.pending++
      failures.add('settled-exactly-once', `${eui} record ${record.gatewaySeq} was never acked`)
    } else if (record.ackOutcome === 'rejected') {
      totals.rejected++
      // Taken offline by a terminal that had not heard of the revocation, past the hub's grace:
      // refused by design (the merchant's risk). Any other refusal of an approved payment is a fault.
      if (record.ackReason === Reason.VoucherRevoked) acks.refusedByDesign.add(toHex(record.transferId))
      else failures.add('settled-exactly-once', `${eui} record ${record.gatewaySeq} was approved at the counter and rejected by the hub (reason ${record.ackReason})`)
    } else if (record.ackOutcome === 'settled') totals.settled++
    else if (record.ackOutcome === 'duplicate') totals.duplicates++
    else if (record.ackOutcome === 'flagged') totals.flagged++
  }
}

/** Every payment approved at a terminal's counter is the record its store holds under that number. */
function checkApprovalsHeld(
  { eui, store }: CheckedTerminal, records: readonly StoredRecord[], approvals: readonly Approval[], failures: FailureList,
): void {
  const held = new Map(records.map(record => [record.gatewaySeq, record]))
  const firstHeld = records[0]?.gatewaySeq ?? store.chainHead().gatewaySeq + 1
  for (const approval of approvals) {
    const record = held.get(approval.gatewaySeq)
    // Records before the first one held were pruned after their ack and proof: nothing to compare.
    if (record === undefined && approval.gatewaySeq >= firstHeld) {
      failures.add('settled-exactly-once', `${eui} approved payment ${approval.gatewaySeq} is not in its store`)
    } else if (record !== undefined && toHex(record.transferId) !== approval.transferIdHex) {
      failures.add('settled-exactly-once', `${eui} record ${approval.gatewaySeq} is not the payment approved under that number`)
    }
  }
  if (approvals.length !== store.chainHead().gatewaySeq) {
    failures.add('settled-exactly-once', `${eui} approved ${approvals.length} payments but its chain holds ${store.chainHead().gatewaySeq}`)
  }
}

/** The hub settled each approved payment once, for its amount (none if refused by design), and nothing else. */
async function checkSettledAtHub(
  operator: HubApi, eui: string, gatewayId: string, approvals: readonly Approval[],
  refusedByDesign: ReadonlySet<string>, failures: FailureList,
): Promise<void> {
  const settled = await hubPayments(operator, gatewayId)
  const approvedIds = new Map(approvals.map(approval => [approval.transferIdHex, approval]))
  for (const approval of approvals) {
    const found = settled.get(approval.transferIdHex) ?? []
    const expected = refusedByDesign.has(approval.transferIdHex) ? 0 : 1
    if (found.length !== expected) {
      failures.add('settled-exactly-once', `${eui} payment ${approval.gatewaySeq} is settled ${found.length} times at the hub, not ${expected}`)
    } else if (expected === 1 && found[0] !== approval.amountMinor) {
      failures.add('settled-exactly-once', `${eui} payment ${approval.gatewaySeq} of ${approval.amountMinor} settled as ${found[0]}`)
    }
  }
  for (const transferIdHex of settled.keys()) {
    if (!approvedIds.has(transferIdHex)) failures.add('settled-exactly-once', `the hub settled ${transferIdHex} for ${eui}, which no counter approved`)
  }
}

async function checkHubSeesChain(operator: HubApi, { eui, store }: CheckedTerminal, gatewayId: string, failures: FailureList): Promise<void> {
  const status = await operator.ok('GET', `/gateways/${gatewayId}/status`)
  const headSeq = store.chainHead().gatewaySeq
  const seen = status.chain === null ? { contiguousSeq: 0, highestSeq: 0 } : status.chain
  if (seen.contiguousSeq !== headSeq || seen.highestSeq !== headSeq || status.openGapCount !== 0 || status.forkCount !== 0) {
    failures.add('chains-gapless', `the hub sees ${eui}'s chain contiguous to ${seen.contiguousSeq} (highest ${seen.highestSeq}, `
      + `${status.openGapCount} gaps, ${status.forkCount} forks); the terminal's head is ${headSeq}`)
  }
}

function checkDoubleSpendsFlagged(
  doubleSpends: readonly DoubleSpend[], outcomes: ReadonlyMap<string, StoredRecord['ackOutcome']>, failures: FailureList,
): void {
  for (const pair of doubleSpends) {
    const original = outcomes.get(pair.originalTransferIdHex)
    const clone = outcomes.get(pair.cloneTransferIdHex)
    if (original === undefined || clone === undefined) continue
    if (original !== 'flagged' && clone !== 'flagged') {
      failures.add('double-spends-detected', `the double spend ${pair.originalTransferIdHex} / ${pair.cloneTransferIdHex} was not flagged (${original}, ${clone})`)
    }
  }
}

/** Every record a store holds, checked link by link: gapless numbers, previous hashes, record hashes, head. */
function readChain(store: TerminalStore, eui: string, failures: FailureList): StoredRecord[] {
  const records: StoredRecord[] = []
  let previous: StoredRecord | undefined
  for (let fromSeq = 1; ;) {
    const page = store.recordsFrom(fromSeq, STORE_PAGE_RECORDS)
    for (const record of page) {
      if (!equalBytes(sha256(record.record), record.recordHash)) {
        failures.add('chains-gapless', `${eui} record ${record.gatewaySeq} does not hash to its stored hash`)
      }
      if (previous !== undefined) {
        if (record.gatewaySeq !== previous.gatewaySeq + 1) {
          failures.add('chains-gapless', `${eui} chain jumps from ${previous.gatewaySeq} to ${record.gatewaySeq}`)
        } else if (!equalBytes(record.previousHash, previous.recordHash)) {
          failures.add('chains-gapless', `${eui} record ${record.gatewaySeq} does not link to record ${previous.gatewaySeq}`)
        }
      }
      previous = record
      records.push(record)
    }
    if (page.length < STORE_PAGE_RECORDS) break
    fromSeq = page[page.length - 1]!.gatewaySeq + 1
  }
  const head = store.chainHead()
  // With no record held, every one was pruned (or none taken): the head alone says where the chain is.
  if (previous !== undefined && (previous.gatewaySeq !== head.gatewaySeq || !equalBytes(previous.recordHash, head.hash))) {
    failures.add('chains-gapless', `${eui} chain head ${head.gatewaySeq} is not its last record ${previous.gatewaySeq}`)
  }
  return records
}

/** The hub's payment transfers of one gateway: transfer id → the amounts it was settled with (one, when all is well). */
async function hubPayments(operator: HubApi, gatewayId: string): Promise<Map<string, number[]>> {
  const settled = new Map<string, number[]>()
  for (let page = 1, seen = 0; ; page++) {
    const reply = await operator.ok('GET', `/transactions/${encodeURIComponent(gatewayId)}/gateway?page=${page}&pageSize=${HUB_PAGE_SIZE}`)
    for (const item of reply.items as Array<{ id: string; kind: string; amountMinor: number }>) {
      if (item.kind !== PAYMENT_TRANSFER_KIND) continue
      settled.set(item.id, [...(settled.get(item.id) ?? []), item.amountMinor])
    }
    seen += reply.items.length
    if (reply.items.length === 0 || seen >= reply.total) return settled
  }
}

class FailureList {
  private readonly failures: InvariantFailure[] = []
  private readonly counts = new Map<InvariantName, number>()

  add(invariant: InvariantName, detail: string): void {
    const count = (this.counts.get(invariant) ?? 0) + 1
    this.counts.set(invariant, count)
    if (count <= FAILURES_LISTED_MAX) this.failures.push({ invariant, detail })
  }

  list(): InvariantFailure[] {
    const more = [...this.counts].filter(([, count]) => count > FAILURES_LISTED_MAX)
      .map(([invariant, count]) => ({ invariant, detail: `and ${count - FAILURES_LISTED_MAX} more` }))
    return [...this.failures, ...more]
  }
}
