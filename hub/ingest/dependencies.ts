// What the ingest is built from: its store, the ledger, the signature checks, the hub's keys, the
// gateways it knows, how it revokes, and its settings.

import type { Clock } from '../../protocol/clock'
import type { AckEntry } from '../../protocol/messages/ack'
import type { LiveEvents } from '../events/live-events'
import type { Ed25519, KeyPair } from '../../protocol/signature/ed25519'
import type { GatewayView } from '../gateways/view'
import type { LedgerStore } from '../ledger/store'
import type { FeeScheduleResolver } from './fees'
import type { HubFaultKind } from './hub-fault'
import type { IngestStore } from './store'
import type { VerifyPool } from './verify-pool'

export interface IngestSettings {
  /** How long a revocation may take to reach every gateway; payments made before then still settle. */
  revocationGrace_ms: number
  clockSkewMax_ms: number
  /** Batches refused as a whole whose bytes are kept for audit. */
  rejectedBatchesKept_max: number
  /** Batches and online requests queued or running at once: INGEST_JOBS_MAX where not given. */
  jobsQueued_max?: number
}

/** What the ingest tells the hub's metrics (hub/metrics/metrics.ts) as it goes. */
export interface IngestMetrics {
  /** A batch of `count` records arrived on its gateway's topic. */
  recordsReceived(count: number): void
  /** The answer to each record in one signed ack. */
  answered(entries: readonly AckEntry[]): void
  /** One batch decided, settled and written, in `duration_s` by the hub's clock. */
  batchSettled(duration_s: number): void
  /** A fault of the hub left a batch or an online request unanswered. */
  fault(kind: HubFaultKind): void
  /** A gateway's void of an online request answered: an approval given back, nothing to give back, or refused. */
  voided(outcome: VoidOutcome): void
}

export type VoidOutcome = 'reversed' | 'nothing_approved' | 'refused'

export interface IngestDependencies {
  store: IngestStore
  ledger: LedgerStore
  pool: VerifyPool
  /** The ingest reads the time; it sets no timers. */
  clock: Pick<Clock, 'now_ms'>
  hubKeys: KeyPair
  ed25519: Ed25519
  fees: FeeScheduleResolver
  gateway(eui: string): Promise<GatewayView | undefined>
  /** Revokes vouchers proven double-spent and publishes the new revocation list. */
  revoke(voucherIdsHex: readonly string[], reason: string): Promise<void>
  settings: IngestSettings
  /** Told of each payment settled and each double spend flagged, once committed. */
  events: Pick<LiveEvents, 'publish' | 'publishAll'>
  /** Counts what the ingest received, answered and failed on; nothing is counted where not given. */
  metrics?: IngestMetrics
  /** Told after a batch's records are stored (the LoRa path checks its reports against them). */
  recordsStored?(eui: string): void
}
