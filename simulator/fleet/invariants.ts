// The checks after a fleet run (DESIGN "Testing"): money conserved (the hub's own ledger verify),
// every approved payment settled exactly once (what the simulator saw approved, the terminals'
// stores and the hub's transfers, compared), no transfer settled twice, nothing the hub acked
// missing from its ledger, every chain gapless (in each store and as the hub sees it), every
// double spend detected with its proof, every revoked voucher revoked at every gateway, no hold
// over its voucher, no forged or replayed tap approved; with a chain, every batch anchored and every
// proof verified by the contract (anchors.ts). Through REST, the terminals' stores and the chain, so
// they hold for any hub.

import { equalBytes, fromHex, sha256, toHex } from '../../protocol/bytes'
import { Reason, reasonName } from '../../protocol/reasons'
import { reversalTransferId } from '../../hub/ingest/void'
import type { StoredRecord, TerminalStore } from '../../terminal/store/store'
import type { EnrolledCustomer, HubApi } from '../hub-api'
import { checkAnchors, type AnchorInvariant, type ChainUnderCheck } from './anchors'

export type InvariantName =
  | 'money-conserved' | 'settled-exactly-once' | 'no-transfer-settled-twice' | 'acked-in-ledger' | 'chains-gapless'
  | 'double-spends-detected' | 'revoked-everywhere' | 'holds-within-vouchers' | 'forgeries-refused'
  /** A voucher past its expiry is refused at the counter (and the hub refuses any record made with one). */
  | 'expired-refused'
  /** Once its faults stop, the fleet settles everything (a fault run that cannot finish fails this one). */
  | 'fleet-recovers'
  /** With a chain: every batch anchored once the faults stop, every payment's proof verified by the contract, no root anchored twice. */
  | AnchorInvariant
  /** A gateway's LoRa modem works again once the radio's faults stop, and no report it sent contradicted its records. */
  | 'lora-reports'

/** Every invariant, as the summary names what held. */
export const INVARIANT_NAMES: readonly InvariantName[] = [
  'money-conserved', 'settled-exactly-once', 'no-transfer-settled-twice', 'acked-in-ledger', 'chains-gapless',
  'double-spends-detected', 'revoked-everywhere', 'holds-within-vouchers', 'forgeries-refused', 'expired-refused', 'fleet-recovers',
  'batches-anchored', 'proofs-verify-on-chain', 'roots-anchored-once', 'one-transaction-per-batch', 'lora-reports',
]

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
  /** Taken offline because its online request went unanswered (the hub may have decided it all the same). */
  readonly afterUnansweredRequest?: true
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
const FLAGS_PAGE_SIZE = 100
const PAYMENT_TRANSFER_KIND = 'offline_payment'
const REVERSAL_TRANSFER_KIND = 'reversal'
/** The ledger verify's violations about holds, reported as holds-within-vouchers. */
const HOLD_VIOLATION_PREFIX = 'HOLD_'

export async function checkInvariants(input: {
  operator: HubApi
  terminals: readonly CheckedTerminal[]
  approvals: readonly Approval[]
  doubleSpends: readonly DoubleSpend[]
  /** The run's customers: their vouchers' holds and revocations are checked as the operator sees them. */
  customers: readonly EnrolledCustomer[]
  /** Transfers whose online request left a gateway that lost its power before it recorded the answer. */
  lostOnline: ReadonlySet<string>
  /** What the run found as it played. */
  findings: readonly InvariantFailure[]
  /** The chain the hub anchors on, if it does: the anchoring invariants are checked against it. */
  chain?: ChainUnderCheck | undefined
}): Promise<{ failures: InvariantFailure[]; totals: AckTotals }> {
  const failures = new FailureList()
  for (const finding of input.findings) failures.add(finding.invariant, finding.detail)
  const acks: AckTally = {
    totals: { settled: 0, duplicates: 0, flagged: 0, rejected: 0, pending: 0 },
    outcomes: new Map(),
    refusedByDesign: new Set(),
  }
  await checkLedgerVerifies(input.operator, failures)
  const settledBy = new Map<string, string>()
  const fellBack = new Set(input.approvals.filter(approval => approval.afterUnansweredRequest === true).map(approval => approval.transferIdHex))
  for (const [index, terminal] of input.terminals.entries()) {
    const { eui, store } = terminal
    const records = readChain(store, eui, failures)
    tallyAcks(eui, records, acks, fellBack, failures)
    const approvals = input.approvals.filter(approval => approval.terminal === index)
    checkApprovalsHeld(terminal, records, approvals, failures)
    const gatewayId = store.requireHubPin().gatewayId
    const { settled, reversals } = await hubPayments(input.operator, gatewayId)
    checkSettledAtHub(eui, settled, reversals, approvals, acks.refusedByDesign, input.lostOnline, failures)
    checkSettledOnce(eui, settled, settledBy, failures)
    checkAckedInLedger(eui, records, settled, failures)
    await checkHubSeesChain(input.operator, terminal, gatewayId, failures)
  }
  const vouchers = new Map(input.customers.map(customer => [toHex(customer.voucher.voucherId), customer]))
  const flags = await checkFlagsProved(input.operator, vouchers, failures)
  checkDoubleSpendsFlagged(input.doubleSpends, acks.outcomes, flags.transfers, failures)
  const revoked = new Set(flags.vouchers)
  for (const voucherIdHex of await checkHoldsWithinVouchers(input.operator, input.customers, failures)) revoked.add(voucherIdHex)
  checkRevokedEverywhere(input.terminals, revoked, failures)
  if (input.chain !== undefined) {
    await checkAnchors(input.operator, input.chain, [...settledBy.keys()], (invariant, detail) => failures.add(invariant, detail))
  }
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
    const invariant = violation.code.startsWith(HOLD_VIOLATION_PREFIX) ? 'holds-within-vouchers' : 'money-conserved'
    failures.add(invariant, `ledger ${violation.code}: ${violation.message}`)
  }
  if (verify.violations.length === 0) failures.add('money-conserved', 'the hub\'s ledger verify answered ok: false')
}

function tallyAcks(eui: string, records: readonly StoredRecord[], acks: AckTally, fellBack: ReadonlySet<string>, failures: FailureList): void {
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
      const reason = reasonName(record.ackReason ?? Reason.None)
      if (record.ackReason === Reason.VoucherRevoked) acks.refusedByDesign.add(toHex(record.transferId))
      else if (fellBack.has(toHex(record.transferId))) {
        // The prefer-online fallback: named apart, as the hub may have decided the request the
        // gateway got no answer to (its refusal must not bind the record; seed soak1.25).
        failures.add('settled-exactly-once', `${eui} record ${record.gatewaySeq} was approved offline after its online request went unanswered, `
          + `and rejected by the hub (${reason})`)
      } else failures.add('settled-exactly-once', `${eui} record ${record.gatewaySeq} was approved at the counter and rejected by the hub (${reason})`)
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

/**
 * The hub settled each approved payment, for its amount (none if refused by design), and kept nothing no counter
 * approved: an online approval its gateway never recorded (the power lost mid-wait) is given back by its void.
 */
function checkSettledAtHub(
  eui: string, settled: ReadonlyMap<string, readonly number[]>, reversals: ReadonlySet<string>, approvals: readonly Approval[],
  refusedByDesign: ReadonlySet<string>, lostOnline: ReadonlySet<string>, failures: FailureList,
): void {
  const approvedIds = new Map(approvals.map(approval => [approval.transferIdHex, approval]))
  for (const approval of approvals) {
    const found = settled.get(approval.transferIdHex) ?? []
    const expected = refusedByDesign.has(approval.transferIdHex) ? 0 : 1
    if (reversals.has(reversalTransferId(approval.transferIdHex))) {
      failures.add('settled-exactly-once', `${eui} payment ${approval.gatewaySeq} was approved at the counter and voided at the hub`)
    } else if (found.length === 0 && expected === 1) {
      failures.add('settled-exactly-once', `${eui} payment ${approval.gatewaySeq} is not settled at the hub`)
    } else if (found.length > 0 && expected === 0) {
      failures.add('settled-exactly-once', `${eui} payment ${approval.gatewaySeq} is settled at the hub, which refused its record`)
    } else if (found.some(amount_minor => amount_minor !== approval.amountMinor)) {
      failures.add('settled-exactly-once', `${eui} payment ${approval.gatewaySeq} of ${approval.amountMinor} settled as ${found.join(', ')}`)
    }
  }
  for (const transferIdHex of settled.keys()) {
    if (approvedIds.has(transferIdHex) || reversals.has(reversalTransferId(transferIdHex))) continue
    failures.add('settled-exactly-once', lostOnline.has(transferIdHex)
      ? `the hub approved ${transferIdHex} online for ${eui} and settled it, but the gateway lost its power before it recorded the answer, and its void did not give it back`
      : `the hub settled ${transferIdHex} for ${eui}, which no counter approved, and nothing gave it back`)
  }
}

/** No transfer is settled twice: not under one gateway, not under two. */
function checkSettledOnce(
  eui: string, settled: ReadonlyMap<string, readonly number[]>, settledBy: Map<string, string>, failures: FailureList,
): void {
  for (const [transferIdHex, amounts] of settled) {
    if (amounts.length > 1) failures.add('no-transfer-settled-twice', `${transferIdHex} is settled ${amounts.length} times under ${eui}`)
    const other = settledBy.get(transferIdHex)
    if (other !== undefined) failures.add('no-transfer-settled-twice', `${transferIdHex} is settled under both ${other} and ${eui}`)
    settledBy.set(transferIdHex, eui)
  }
}

/** Every record a gateway holds as acked by the hub (settled, already settled, flagged) is a transfer of the hub's ledger. */
function checkAckedInLedger(
  eui: string, records: readonly StoredRecord[], settled: ReadonlyMap<string, readonly number[]>, failures: FailureList,
): void {
  for (const record of records) {
    if (record.status === 'pending' || record.ackOutcome === 'rejected') continue
    if (!settled.has(toHex(record.transferId))) {
      failures.add('acked-in-ledger', `${eui} record ${record.gatewaySeq} was acked ${record.ackOutcome} by the hub, which has no transfer ${toHex(record.transferId)}`)
    }
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

/** Each pair a phone and its clone had approved is flagged: by a record's ack, or by a flag the hub raised naming either payment. */
function checkDoubleSpendsFlagged(
  doubleSpends: readonly DoubleSpend[], outcomes: ReadonlyMap<string, StoredRecord['ackOutcome']>,
  flaggedTransfers: ReadonlySet<string>, failures: FailureList,
): void {
  for (const pair of doubleSpends) {
    const original = outcomes.get(pair.originalTransferIdHex)
    const clone = outcomes.get(pair.cloneTransferIdHex)
    if (original === undefined || clone === undefined) continue
    if (original === 'flagged' || clone === 'flagged') continue
    if (flaggedTransfers.has(pair.originalTransferIdHex) || flaggedTransfers.has(pair.cloneTransferIdHex)) continue
    failures.add('double-spends-detected', `the double spend ${pair.originalTransferIdHex} / ${pair.cloneTransferIdHex} was not flagged (${original}, ${clone})`)
  }
}

/**
 * Each flag the hub raised about this run's vouchers carries its proof: two authorizations whose
 * signatures verify under the payer's device key. The flagged vouchers, which the hub revokes.
 */
async function checkFlagsProved(
  operator: HubApi, vouchers: ReadonlyMap<string, EnrolledCustomer>, failures: FailureList,
): Promise<{ vouchers: Set<string>; transfers: Set<string> }> {
  const flagged = { vouchers: new Set<string>(), transfers: new Set<string>() }
  for (let before: string | null | undefined; before !== null;) {
    const page = await operator.ok('GET', `/flags?limit=${FLAGS_PAGE_SIZE}${before === undefined ? '' : `&before=${encodeURIComponent(before)}`}`)
    type Flag = { id: number; voucherId: string; authorizations: Array<{ signatureValid: boolean; transferId: string | null }> }
    for (const flag of page.flags as Flag[]) {
      if (!vouchers.has(flag.voucherId)) continue
      flagged.vouchers.add(flag.voucherId)
      for (const { transferId } of flag.authorizations) if (transferId !== null) flagged.transfers.add(transferId)
      const proved = flag.authorizations.filter(authorization => authorization.signatureValid).length
      if (proved < 2) failures.add('double-spends-detected', `flag ${flag.id} on voucher ${flag.voucherId} holds ${proved} verified authorizations, not 2`)
    }
    before = page.next as string | null
  }
  return flagged
}

/**
 * What the hub settled against each voucher stays within its allowance, as each customer sees it
 * (the ledger verify checks the hold postings). The vouchers the hub says are revoked.
 */
async function checkHoldsWithinVouchers(operator: HubApi, customers: readonly EnrolledCustomer[], failures: FailureList): Promise<Set<string>> {
  const revoked = new Set<string>()
  const own = new Set(customers.map(customer => toHex(customer.voucher.voucherId)))
  for (const customer of customers) {
    const { vouchers } = await operator.ok('GET', `/admin/users/${customer.userId}/vouchers`)
    for (const voucher of vouchers as Array<{ id: string; amountMinor: number; spentMinor: number; status: string }>) {
      if (!own.has(voucher.id)) continue
      if (voucher.spentMinor > voucher.amountMinor) {
        failures.add('holds-within-vouchers', `voucher ${voucher.id}: ${voucher.spentMinor} settled from a hold of ${voucher.amountMinor}`)
      }
      if (voucher.status === 'revoked') revoked.add(voucher.id)
    }
  }
  return revoked
}

/** Every voucher the hub revoked (double spends flagged, customers' own revocations) is refused at every gateway. */
function checkRevokedEverywhere(terminals: readonly CheckedTerminal[], revoked: ReadonlySet<string>, failures: FailureList): void {
  for (const voucherIdHex of revoked) {
    const voucherId = fromHex(voucherIdHex)
    for (const { eui, store } of terminals) {
      if (!store.isRevoked(voucherId)) failures.add('revoked-everywhere', `${eui} does not hold voucher ${voucherIdHex} as revoked`)
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
/** The payments the hub settled for a gateway, by transfer id, and the ids of its reversal transfers (voided online approvals). */
async function hubPayments(operator: HubApi, gatewayId: string): Promise<{ settled: Map<string, number[]>; reversals: Set<string> }> {
  const settled = new Map<string, number[]>()
  const reversals = new Set<string>()
  for (let page = 1, seen = 0; ; page++) {
    const reply = await operator.ok('GET', `/transactions/${encodeURIComponent(gatewayId)}/gateway?page=${page}&pageSize=${HUB_PAGE_SIZE}`)
    for (const item of reply.items as Array<{ id: string; kind: string; amountMinor: number }>) {
      if (item.kind === REVERSAL_TRANSFER_KIND) reversals.add(item.id)
      if (item.kind !== PAYMENT_TRANSFER_KIND) continue
      settled.set(item.id, [...(settled.get(item.id) ?? []), item.amountMinor])
    }
    seen += reply.items.length
    if (reply.items.length === 0 || seen >= reply.total) return { settled, reversals }
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
