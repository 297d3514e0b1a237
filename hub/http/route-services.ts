// What every route plugin is handed beside the context: the hub's stores and services, built once per hub
// by hub/services.ts, so the routes and the MQTT side share one of each (a revocation's listeners hear
// every list, whichever side issued it).

import type { AnchorStore } from '../anchor/store'
import type { AuditLog } from '../audit/store'
import type { HubContext } from '../context'
import type { LiveEvents } from '../events/live-events'
import type { GatewayPresenceTracker } from '../gateways/presence'
import type { GatewayStore } from '../gateways/store'
import type { IngestStore } from '../ingest/store'
import type { FlagStore } from '../ingest/flag-store'
import type { KycStore } from '../kyc/store'
import type { LoraStore } from '../lora/store'
import type { HubMetrics } from '../metrics/metrics'
import type { AccountLinks } from '../mobile/accounts'
import type { MobilePayments } from '../mobile/payments'
import type { Outbox } from '../notify/outbox'
import type { OrderStore } from '../orders/store'
import type { RefundStore } from '../refunds/store'
import type { TransactionHistory } from '../transactions/history'
import type { UserStore } from '../users/store'
import type { DeviceStore } from '../vouchers/device-store'
import type { RevocationCatchUp } from '../vouchers/revocation-catch-up'
import type { Revocations } from '../vouchers/revocations'
import type { VoucherService } from '../vouchers/vouchers'

export interface HubServices {
  readonly users: UserStore
  readonly orders: OrderStore
  /** The KYC documents. */
  readonly documents: KycStore
  readonly gateways: GatewayStore
  readonly lora: LoraStore
  readonly anchors: AnchorStore
  readonly devices: DeviceStore
  /** Which ledger accounts a mobile user reaches (wallets, cards). */
  readonly links: AccountLinks
  readonly payments: MobilePayments
  readonly history: TransactionHistory
  readonly outbox: Outbox
  /** The MQTT side's: record batches and online authorizations, and refunds. */
  readonly ingest: IngestStore
  readonly refunds: RefundStore
  /** The double spends the ingest found, as flags operators resolve. */
  readonly flags: FlagStore
  readonly vouchers: VoucherService
  readonly revocations: Revocations
  /** Answers gateways that missed revocation deltas. */
  readonly catchUp: RevocationCatchUp
  /** What operators did, written in the transaction of each act. */
  readonly audit: AuditLog
  /** What happened, for the open GET /events streams: published once it has committed. */
  readonly events: LiveEvents
  /** Which gateways are online: told by the MQTT side. */
  readonly presence: GatewayPresenceTracker
  /** The hub's Prometheus metrics (GET /metrics): fed by the ingest, gauges read from the stores. */
  readonly metrics: HubMetrics
}

/** The options of every route plugin (hub/app.ts registers each with them). */
export interface RouteOptions {
  readonly context: HubContext
  readonly services: HubServices
}
