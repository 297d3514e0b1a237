// The hub's Prometheus metrics (GET /metrics): counters the ingest feeds as it answers gateways, the
// time each batch took to settle, and gauges read from the stores and queues when scraped. One
// Registry per hub, never prom-client's global one: a test process runs several hubs at once.

import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import { AckOutcome, type AckEntry } from '../../protocol/messages/ack'
import { reasonName } from '../../protocol/reasons'
import type { IngestMetrics, VoidOutcome } from '../ingest/dependencies'
import { HUB_FAULT_KINDS, type HubFaultKind } from '../ingest/hub-fault'

/** From a millisecond to ten seconds: a batch settles in milliseconds, a slow disk makes it seconds. */
const SETTLE_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/** What the gauges read when scraped; a source not given (no MQTT side yet, an external broker) leaves its gauge at 0. */
export interface MetricSources {
  /** Signature-check jobs posted to the verify workers and not answered yet. */
  verifyQueueJobs?(): number
  /** Clients connected to the embedded broker, the hub's own included; undefined through an external broker. */
  mqttClientsConnected?(): number | undefined
  /** Sealed batches whose root is not anchored on the chain yet. */
  anchorBatchesWaiting?(): Promise<number>
  /** Notifications waiting in the outbox to be sent. */
  outboxPending?(): Promise<number>
}

export class HubMetrics implements IngestMetrics {
  readonly registry = new Registry()
  private readonly sources: MetricSources = {}
  private readonly received: Counter
  private readonly settled: Counter
  private readonly duplicate: Counter
  private readonly rejected: Counter<'reason'>
  private readonly faults: Counter<'kind'>
  private readonly voids: Counter<'outcome'>
  private readonly settleSeconds: Histogram

  constructor(sources: MetricSources = {}) {
    this.watch(sources)
    const registers = [this.registry]
    this.received = new Counter({ name: 'payall_records_received_total', help: 'Records received in gateways\' batches, re-sent ones included', registers })
    this.settled = new Counter({ name: 'payall_records_settled_total', help: 'Records acked as settled now (flagged double spends included)', registers })
    this.duplicate = new Counter({ name: 'payall_records_duplicate_total', help: 'Records acked as settled before (a re-sent batch, an online payment\'s record)', registers })
    this.rejected = new Counter({
      name: 'payall_records_rejected_total', help: 'Records acked as rejected, by reason', labelNames: ['reason'], registers,
    })
    this.faults = new Counter({
      name: 'payall_hub_faults_total', help: 'Batches and online requests left unanswered by a fault of the hub, by kind',
      labelNames: ['kind'], registers,
    })
    // Every kind shows from the start, so an alert on a rise has a zero to rise from.
    for (const kind of HUB_FAULT_KINDS) this.faults.inc({ kind }, 0)
    this.voids = new Counter({
      name: 'payall_online_voids_total',
      help: 'Gateways\' voids of online requests they got no answer to, by outcome: an approval given back, none made, or refused',
      labelNames: ['outcome'], registers,
    })
    for (const outcome of ['reversed', 'nothing_approved', 'refused'] as const) this.voids.inc({ outcome }, 0)
    this.settleSeconds = new Histogram({
      name: 'payall_settle_batch_duration_seconds', help: 'Time to decide, settle and store one batch, by the hub\'s clock',
      buckets: SETTLE_BUCKETS_SECONDS, registers,
    })
    this.gauge('payall_verify_queue_jobs', 'Signature-check jobs waiting for a verify worker\'s answer', () => this.sources.verifyQueueJobs?.())
    this.gauge('payall_mqtt_clients_connected', 'Clients connected to the embedded MQTT broker', () => this.sources.mqttClientsConnected?.())
    this.gauge('payall_anchor_batches_waiting', 'Sealed batches waiting for their root on the chain', () => this.sources.anchorBatchesWaiting?.())
    this.gauge('payall_notify_outbox_pending', 'Notifications waiting in the outbox', () => this.sources.outboxPending?.())
  }

  /** Adds sources the gauges read from; the MQTT side brings its own once it runs. */
  watch(sources: MetricSources): void {
    Object.assign(this.sources, sources)
  }

  /** The exposition text and its content type, as Prometheus scrapes them. */
  async scrape(): Promise<{ text: string; contentType: string }> {
    return { text: await this.registry.metrics(), contentType: this.registry.contentType }
  }

  recordsReceived(count: number): void {
    this.received.inc(count)
  }

  answered(entries: readonly AckEntry[]): void {
    for (const entry of entries) {
      if (entry.outcome === AckOutcome.Settled || entry.outcome === AckOutcome.Flagged) this.settled.inc()
      else if (entry.outcome === AckOutcome.Duplicate) this.duplicate.inc()
      else this.rejected.inc({ reason: reasonName(entry.reason) })
    }
  }

  batchSettled(duration_s: number): void {
    this.settleSeconds.observe(duration_s)
  }

  fault(kind: HubFaultKind): void {
    this.faults.inc({ kind })
  }

  voided(outcome: VoidOutcome): void {
    this.voids.inc({ outcome })
  }

  private gauge(name: string, help: string, read: () => number | undefined | Promise<number | undefined>): void {
    new Gauge({
      name, help, registers: [this.registry],
      async collect() {
        this.set(await read() ?? 0)
      },
    })
  }
}
