// Anchoring proofs on the gateway (issue 7): a ProofBundle is kept only when the pinned hub key signed it,
// it is addressed to this gateway and every proof leads from its transfer id to the batch root; then the
// records that are acked and proved, or rejected, and past the retention window are pruned. The requests for proofs still
// missing are built here too; terminal/sync.ts carries both over MQTT.

import { toHex } from '../protocol/bytes'
import { errorText, ProtocolError } from '../protocol/errors'
import { verifyProof } from '../protocol/merkle'
import {
  PROOF_REQUEST_IDS_MAX, canonicalTransferIds, proofBundleCodec, proofRequestCodec, type ProofBundle,
} from '../protocol/messages/proof-bundle'
import { DAY_MS, type Clock } from '../protocol/clock'
import { TerminalError } from './errors'
import type { TerminalEmitter } from './events'
import type { Refusal, Trust } from './hub-messages'
import { PRUNE_RECORDS_PER_TRANSACTION_MAX } from './store/proof-store'
import type { TerminalStore } from './store/store'

/** How long an acked and proved (or a rejected) record stays for audits and receipts before it is pruned. */
export const RECORD_RETENTION_MS_DEFAULT = 30 * DAY_MS
/** How often a connected gateway asks for the proofs it still misses (and prunes). */
const PROOF_REQUEST_INTERVAL_MS_DEFAULT = 5 * 60 * 1000
/** Requests one round sends at most: PROOF_REQUEST_IDS_MAX ids each. */
const PROOF_REQUESTS_PER_ROUND_MAX = 4
/** Pruning transactions one call runs at most; what is left goes the next time. */
const PRUNE_TRANSACTIONS_PER_CALL_MAX = 16

type ProofRefusal =
  | Refusal
  /** Signed by the hub, yet a proof does not lead to the root: a hub fault, nothing is kept. */
  | 'bad-proof'
  /** A proof for a transfer this gateway does not hold. */
  | 'not-held'

export type JudgedBundle =
  | { readonly accepted: true; readonly value: ProofBundle }
  | { readonly accepted: false; readonly refusal: ProofRefusal; readonly detail?: string }

/** Decodes and checks a bundle without trusting any of it: signature, addressee, every proof against the root. */
export function judgeProofBundle(bytes: Uint8Array, trust: Trust): JudgedBundle {
  let bundle: ProofBundle
  try {
    bundle = proofBundleCodec.decode(bytes)
  } catch (error) {
    if (error instanceof ProtocolError) return { accepted: false, refusal: 'malformed', detail: errorText(error) }
    throw error
  }
  if (!proofBundleCodec.verify(bundle, trust.hubPublicKey, trust.ed25519)) return { accepted: false, refusal: 'bad-signature' }
  if (bundle.gatewayEui !== trust.eui) return { accepted: false, refusal: 'foreign' }
  for (const entry of bundle.entries) {
    if (!verifyProof(bundle.batch!.root, entry.transferId, entry.proof)) {
      return { accepted: false, refusal: 'bad-proof', detail: `transfer ${toHex(entry.transferId)}` }
    }
  }
  return { accepted: true, value: bundle }
}

export interface ProofKeeperOptions {
  readonly store: TerminalStore
  readonly events: TerminalEmitter
  readonly clock: Clock
  readonly trust: Trust
  /** 0: prune as soon as a record is acked and proved. */
  readonly retentionMs?: number
  /** A missing proof is asked for again at most this often. */
  readonly requestIntervalMs?: number
}

export class ProofKeeper {
  readonly retention_ms: number
  readonly requestInterval_ms: number
  /** Transfer ids asked about whose answer (a proof, or pending, or unknown) has not come; bounded by one round's ids. */
  private readonly unanswered = new Set<string>()
  private whenAllAnswered: (() => void) | undefined

  constructor(private readonly options: ProofKeeperOptions) {
    this.retention_ms = options.retentionMs ?? RECORD_RETENTION_MS_DEFAULT
    this.requestInterval_ms = options.requestIntervalMs ?? PROOF_REQUEST_INTERVAL_MS_DEFAULT
    if (!Number.isSafeInteger(this.retention_ms) || this.retention_ms < 0) {
      throw new TerminalError('BAD_ARGUMENT', `retentionMs must be a whole number of milliseconds >= 0, got ${this.retention_ms}`)
    }
    if (!Number.isSafeInteger(this.requestInterval_ms) || this.requestInterval_ms <= 0) {
      throw new TerminalError('BAD_ARGUMENT', `requestIntervalMs must be a positive integer, got ${this.requestInterval_ms}`)
    }
  }

  /** Applies a bundle from the hub: kept whole once judged sound, refused whole otherwise; then prunes. */
  onBundle(payload: Uint8Array): JudgedBundle {
    const { store, events, clock, trust } = this.options
    const judged = judgeProofBundle(payload, trust)
    if (!judged.accepted) {
      events.emit('sync-error', { code: 'PROOFS_REFUSED', message: `a proof bundle was ignored: ${judged.refusal}${judged.detail === undefined ? '' : ` (${judged.detail})`}` })
      return judged
    }
    const bundle = judged.value
    this.answered(bundle)
    const saved = store.proofs.saveBundle(bundle, clock.now_ms())
    if (saved.kind === 'not-held') {
      events.emit('sync-error', { code: 'PROOFS_REFUSED', message: `a proof bundle was ignored: not-held (transfer ${saved.transferIdHex})` })
      return { accepted: false, refusal: 'not-held', detail: `transfer ${saved.transferIdHex}` }
    }
    if (bundle.batch !== null) {
      events.emit('proofs-kept', { batchId: bundle.batch.batchId, stored: saved.stored, alreadyKept: saved.alreadyKept })
    }
    if (bundle.unknown.length > 0) {
      // Acked as settled, yet unknown to the hub's anchoring: worth an operator's look, never a reason to prune.
      events.emit('sync-error', { code: 'PROOFS_UNKNOWN', message: `the hub knows no settled payment for ${bundle.unknown.length} transfer(s) asked about, e.g. ${toHex(bundle.unknown[0]!)}` })
    }
    this.prune()
    return judged
  }

  /**
   * Encoded ProofRequests for acked records still without a proof and not asked about within
   * requestIntervalMs (`everything`: whenever asked, as at a reconnect or a sync by hand, when an answer
   * may have been lost with the link): at most PROOF_REQUESTS_PER_ROUND_MAX of PROOF_REQUEST_IDS_MAX ids.
   * The ids are marked asked, so the next round asks for the next ones.
   */
  takeRequests(everything = false): Uint8Array[] {
    const { store, clock } = this.options
    const now_ms = clock.now_ms()
    const askedBefore_ms = everything ? now_ms : now_ms - this.requestInterval_ms
    const ids = store.proofs.takeMissing(PROOF_REQUESTS_PER_ROUND_MAX * PROOF_REQUEST_IDS_MAX, askedBefore_ms, now_ms)
    const gatewayEui = this.options.trust.eui
    const requests: Uint8Array[] = []
    for (let from = 0; from < ids.length; from += PROOF_REQUEST_IDS_MAX) {
      const transferIds = canonicalTransferIds(ids.slice(from, from + PROOF_REQUEST_IDS_MAX))
      requests.push(proofRequestCodec.encode({ gatewayEui, transferIds }))
    }
    return requests
  }

  /**
   * Resolves once the hub has answered every transfer id of `requests` (with its proof, or as pending or
   * unknown); the caller bounds the wait. A later call replaces what an earlier one waited for.
   */
  answersTo(requests: readonly Uint8Array[]): Promise<void> {
    this.unanswered.clear()
    for (const request of requests) for (const id of proofRequestCodec.decode(request).transferIds) this.unanswered.add(toHex(id))
    if (this.unanswered.size === 0) return Promise.resolve()
    return new Promise(resolve => {
      this.whenAllAnswered = resolve
    })
  }

  private answered(bundle: ProofBundle): void {
    if (this.unanswered.size === 0) return
    for (const id of [...bundle.entries.map(entry => entry.transferId), ...bundle.pending, ...bundle.unknown]) this.unanswered.delete(toHex(id))
    if (this.unanswered.size > 0) return
    this.whenAllAnswered?.()
    this.whenAllAnswered = undefined
  }

  /** Deletes records acked and proved, or rejected, and older than the retention window, in bounded transactions. How many went. */
  prune(): number {
    const { store, events, clock } = this.options
    const now_ms = clock.now_ms()
    let pruned = 0
    for (let transaction = 0; transaction < PRUNE_TRANSACTIONS_PER_CALL_MAX; transaction++) {
      const count = store.proofs.pruneSome(now_ms - this.retention_ms, PRUNE_RECORDS_PER_TRANSACTION_MAX, now_ms)
      pruned += count
      if (count < PRUNE_RECORDS_PER_TRANSACTION_MAX) break
    }
    if (pruned > 0) events.emit('records-pruned', { count: pruned, throughSeq: store.proofs.counts().prunedThroughSeq })
    return pruned
  }
}
