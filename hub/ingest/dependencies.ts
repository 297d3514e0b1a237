// What the ingest is built from: its store, the ledger, the signature checks, the hub's keys, the
// gateways it knows, how it revokes, and its settings.

import type { Clock } from '../../protocol/clock'
import type { LiveEvents } from '../events/live-events'
import type { Ed25519, KeyPair } from '../../protocol/signature/ed25519'
import type { GatewayView } from '../gateways/view'
import type { LedgerStore } from '../ledger/store'
import type { FeeScheduleResolver } from './fees'
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

export interface IngestDependencies {
  store: IngestStore
  ledger: LedgerStore
  pool: VerifyPool
  /** The ingest reads the time; it sets no timers. */
  clock: Pick<Clock, 'now_ms'>
  hubKeys: KeyPair
  ed25519: Ed25519
  fees: FeeScheduleResolver
  gateway(eui: string): GatewayView | undefined
  /** Revokes vouchers proven double-spent and publishes the new revocation list. */
  revoke(voucherIdsHex: readonly string[], reason: string): Promise<void>
  settings: IngestSettings
  /** Told of each payment settled and each double spend flagged, once committed. */
  events: Pick<LiveEvents, 'publish'>
  /** Told after a batch's records are stored (the LoRa path checks its reports against them). */
  recordsStored?(eui: string): void
}
