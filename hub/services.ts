// The hub's stores and services, built here once per hub over its context and handed to the routes
// (hub/app.ts) and to the MQTT side (hub/server.ts): no route or handler builds a store of its own.

import { nodeEd25519 } from '../protocol/signature/node'
import { AnchorStore } from './anchor/store'
import { AuditLog } from './audit/store'
import type { HubContext } from './context'
import { EventIdStore } from './events/sequence-store'
import { audienceLookups } from './events/audience'
import { LiveEvents } from './events/live-events'
import { GatewayPresenceTracker } from './gateways/presence'
import { PresenceStore } from './gateways/presence-store'
import { GatewayStore } from './gateways/store'
import { IngestStore } from './ingest/store'
import { FlagStore } from './ingest/flag-store'
import type { HubServices } from './http/route-services'
import { KycStore } from './kyc/store'
import { LoraStore } from './lora/store'
import { HubMetrics } from './metrics/metrics'
import { AccountLinks } from './mobile/accounts'
import { MobilePayments } from './mobile/payments'
import { Outbox } from './notify/outbox'
import { OrderStore } from './orders/store'
import { RefundStore } from './refunds/store'
import { TransactionHistory } from './transactions/history'
import { UserStore } from './users/store'
import { DeviceStore } from './vouchers/device-store'
import { voucherPolicy } from './vouchers/policy'
import { RevocationCatchUp } from './vouchers/revocation-catch-up'
import { Revocations } from './vouchers/revocations'
import { VoucherService } from './vouchers/vouchers'

export type { HubServices } from './http/route-services'

export function buildServices(context: HubContext): HubServices {
  const { engine } = context
  const policy = voucherPolicy(context.config)
  const revocations = new Revocations(
    engine, context.ledger, context.bus, context.hubKeys, nodeEd25519, context.clock, policy.listedAfterExpiry_ms, context.log,
  )
  const gateways = new GatewayStore(context.engine)
  const events = new LiveEvents({
    ids: new EventIdStore(context.engine),
    lookups: audienceLookups(gateways, context.ledger),
    log: context.log,
    ...(context.eventRelay === undefined ? {} : { relay: context.eventRelay }),
  })
  const anchors = new AnchorStore(context.engine)
  const outbox = new Outbox(context.engine)
  return {
    users: new UserStore(engine, { accessChanged: userId => events.accessChanged(userId) }),
    orders: new OrderStore(engine),
    documents: new KycStore(engine),
    gateways,
    lora: new LoraStore(context.engine),
    anchors,
    devices: new DeviceStore(engine),
    links: new AccountLinks(engine),
    payments: new MobilePayments(engine),
    history: new TransactionHistory(engine),
    outbox,
    ingest: new IngestStore(context.engine),
    refunds: new RefundStore(context.engine),
    flags: new FlagStore(context.engine),
    vouchers: new VoucherService(engine, context.ledger, context.hubKeys, nodeEd25519, context.clock, context.random, context.log, policy),
    revocations,
    catchUp: new RevocationCatchUp({ revocations, bus: context.bus, clock: context.clock, log: context.log }),
    audit: new AuditLog(context.engine),
    events,
    presence: new GatewayPresenceTracker({
      store: new PresenceStore(context.engine, context.walSync), gateway: eui => gateways.ingestView(eui), events, clock: context.clock, ed25519: nodeEd25519,
    }),
    metrics: new HubMetrics({ anchorBatchesWaiting: () => anchors.waitingCount(), outboxPending: async () => (await outbox.counts()).pending }),
  }
}
