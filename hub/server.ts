// Starts and stops a whole hub process: database, keys, first operator, HTTP API (and, once
// wired, the MQTT side), over one HubContext. hub/cli.ts is its command-line face.

import { mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import { repeat, systemClock, systemRandom, type Cancel, type Clock, type RandomBytes } from '../protocol/clock'
import { Closers } from '../protocol/closers'
import { lockDataDir, type DataDirLock } from '../protocol/data-dir-lock'
import { nodeEd25519 } from '../protocol/signature/node'
import { buildApp } from './app'
import { ProofPublisher } from './anchor/proof-publisher'
import { startAnchoring, type AnchorService } from './anchor/service'
import { WEI_PER_GWEI, type AnchorSettings } from './anchor/settings'
import { clearRetiredRetainedMessages, republishConfigs } from './gateways/config'
import { feeScheduleResolver } from './ingest/fees'
import type { IngestSettings } from './ingest/dependencies'
import { RecordIngest } from './ingest/ingest'
import { startMqttSide, type MqttSide, type MqttStartStep } from './mqtt-side'
import { VerifyPool } from './ingest/verify-pool'
import { startLoraPath, type LoraPath, type LoraPathDependencies } from './lora/service'
import { loraSettings, type LoraSettings } from './lora/settings'
import { startMetricsListener, type MetricsListener } from './metrics/listener'
import { Refunds } from './refunds/refunds'
import type { Revocations } from './vouchers/revocations'
import type { VoucherService } from './vouchers/vouchers'
import { LateBoundBus } from './bus'
import { startPgEventRelay } from './events/pg-relay'
import type { EventRelay } from './events/relay'
import { checkConfig, keysDirOf, type HubConfig } from './config'
import type { HubContext, HubTls } from './context'
import { buildServices, type HubServices } from './services'
import { DOCS_PREFIX } from './http/docs'
import { loadOrCreateHubKeys, loadOrCreateJwtSecret } from './keys'
import { loadHubTls } from './tls'
import { loadOrCreateUpdateKeys, signedUpdateKey } from './updates/update-key'
import { UPDATE_KEY_TOPIC } from '../protocol/topics'
import { createLog } from './log'
import { HUB_DATABASE_FILE } from './store/database'
import { openPgHubStore, openSqliteHubStore, type HubStore } from './store/hub-store'
import { whileLeading } from './store/leadership'
import { ensureOperator, type OperatorBootstrap } from './users/operator'
import { createPasswordHasher } from './users/passwords'
import { normalizeStoredPhones } from './users/stored-phones'

export { HUB_DATABASE_FILE as DATABASE_FILE } from './store/database'

export interface HubOverrides {
  clock?: Clock
  random?: RandomBytes
  log?: FastifyBaseLogger
  /** Batch size and age, confirmations, fee cap…: ANCHOR_SETTINGS_DEFAULT where not given. */
  anchor?: Partial<AnchorSettings>
  /** The LoRa path's client to the network server's broker: its timeouts and reconnects (tests shorten them). */
  loraClient?: LoraPathDependencies['client']
  /** Told as each step of the start begins; a throw fails the start there (tests fail each step so). */
  beforeStep?(step: HubStartStep): void | Promise<void>
}

/** The steps of a hub's start, in order, each after the database is open. */
export type HubStartStep = 'http' | 'metrics' | 'mqtt' | MqttStartStep | 'lora' | 'anchoring'

export interface RunningHub {
  /** Base URL of the REST API, e.g. http://127.0.0.1:3001 (https:// with TLS). */
  readonly httpUrl: string
  readonly docsUrl: string
  /** The broker terminals connect to; undefined while no MQTT side runs. */
  readonly mqttUrl: string | undefined
  /** The loopback listener serving GET /metrics without a token (--metrics-port); undefined when not configured. */
  readonly metricsUrl: string | undefined
  readonly operator: OperatorBootstrap
  readonly context: HubContext
  /** The stores and services the routes and the MQTT side share. */
  readonly services: HubServices
  /** The LoRa path, when a network server is configured (PAYALL_LORA_MQTT_URL). */
  readonly lora: LoraPath | undefined
  /** Seals and anchors on the hub's clock: a test moves a manual clock, then awaits its idle(). */
  readonly anchoring: AnchorService
  /** Stops accepting, lets in-flight requests finish, then closes the database. Safe to call twice. */
  stop(): Promise<void>
}

/**
 * Starts every part of the hub, in order. A step that fails closes what the earlier ones opened, last
 * first (the LoRa client, the MQTT client and broker, the verifiers, the listeners, the database, the
 * data folder's lock), and its error reaches the caller.
 */
export async function startHub(config: HubConfig, overrides: HubOverrides = {}): Promise<RunningHub> {
  const { tls, loraConfig } = checkedSettings(config)
  const { random = systemRandom, clock = systemClock, log = createLog(config.logLevel) } = overrides
  const dataDir = resolve(config.dataDir)
  const lock = lockDataDir(dataDir)
  const opened = new Closers()
  opened.add(() => lock.release())
  try {
    const { store, eventRelay } = await openHubStore(config, dataDir, { clock, random, log }, opened)
    const bus = new LateBoundBus()
    const context = hubContext(config, { store, eventRelay, clock, log, random, bus, tls })
    const operator = await ensureOperator(context)
    await normalizeStoredPhones(context.engine, config.phoneRegion, context.log)
    const services = buildServices(context)
    await overrides.beforeStep?.('http')
    const app = await buildApp(context, services)
    opened.add(() => app.close())
    const httpUrl = await listenHttp(app, config, tls !== undefined)
    await overrides.beforeStep?.('metrics')
    const metricsListener = config.metricsPort === undefined ? undefined : await startMetricsListener(services.metrics, config.metricsPort, context.log)
    if (metricsListener !== undefined) opened.add(() => metricsListener.close())

    // The MQTT side: the broker (embedded, or config.mqttUrl), the ingest, retained state (the update key among it).
    await overrides.beforeStep?.('mqtt')
    let lora: LoraPath | undefined
    const { mqtt, proofs, pool } = await startHubMqtt(
      context, services, { bus, random, opened, beforeStep: overrides.beforeStep }, eui => lora?.reports.recheck(eui),
    )
    const { revocations, vouchers, gateways } = services
    await overrides.beforeStep?.('lora')
    if (loraConfig !== undefined) {
      const started = startLoraPath(context, {
        settings: loraConfig, revocations, gateway: eui => gateways.ingestView(eui), ed25519: nodeEd25519,
        ...(overrides.loraClient === undefined ? {} : { client: overrides.loraClient }),
      })
      opened.add(() => started.stop())
      lora = started
    }
    // The work of one hub at a time, while this one leads (always, on SQLite).
    const sweeper = whileLeading(store.leadership, () => startVoucherSweeper(context, vouchers, revocations))
    opened.add(sweeper)
    await overrides.beforeStep?.('anchoring')
    const anchoring = startAnchoring(context, {
      batchMax: config.anchorBatchMax,
      batchAge_ms: config.anchorBatchAge_ms,
      confirmations: config.anchorConfirmations,
      maxFeePerGas_wei: BigInt(config.anchorMaxFeeGwei) * WEI_PER_GWEI,
      tickInterval_ms: config.anchorTick_ms,
      ...overrides.anchor,
    }, batchId => proofs.batchAnchored(batchId))

    let stopping: Promise<void> | undefined
    return {
      httpUrl,
      docsUrl: `${httpUrl}${DOCS_PREFIX}`,
      mqttUrl: mqtt.url,
      metricsUrl: metricsListener?.url,
      operator,
      context,
      services,
      lora,
      anchoring,
      stop: () => {
        stopping ??= stopInOrder({
          stopSweeper: sweeper, listening: app, metrics: metricsListener, proofs, mqtt, lora, anchoring, pool, eventRelay, store, lock,
        })
        return stopping
      },
    }
  } catch (error) {
    await opened.closeAll(closeError => log.warn({ err: closeError }, 'closing what a failed start opened failed'))
    throw error
  }
}

/**
 * What the start takes from the configuration before it opens anything: the TLS certificate and key,
 * read from their files, and the LoRa settings. parseConfig has checked a configuration from the
 * command line; one built by hand meets the same rules here.
 */
function checkedSettings(config: HubConfig): { tls: HubTls | undefined; loraConfig: LoraSettings | undefined } {
  checkConfig(config)
  return { tls: loadHubTls(config), loraConfig: loraSettings(config) }
}

/** Listens for the REST API; the URL a client on this machine reaches it at. */
async function listenHttp(app: FastifyInstance, config: HubConfig, https: boolean): Promise<string> {
  await app.listen({ port: config.httpPort, host: config.httpHost })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('the HTTP server has no TCP address')
  return `${https ? 'https' : 'http'}://${reachableHost(config.httpHost)}:${address.port}`
}

/**
 * What the hub stores on: the PostgreSQL database --database-url names, else the SQLite file in the data folder. The
 * data folder is locked to this process either way (two hubs on one folder would share its keys and its file). Hubs on
 * one PostgreSQL also hear each other's live events (the relay), so a browser sees them whichever hub serves it. What
 * opens joins `opened`.
 */
async function openHubStore(
  config: HubConfig, dataDir: string, { clock, random, log }: { clock: Clock; random: RandomBytes; log: FastifyBaseLogger }, opened: Closers,
): Promise<{ store: HubStore; eventRelay: EventRelay | undefined }> {
  const store = config.databaseUrl !== undefined
    ? await openPgHubStore(config.databaseUrl, { clock, log })
    : openSqliteHubStore(join(dataDir, HUB_DATABASE_FILE), { busyTimeout_ms: config.databaseBusyTimeout_ms, clock, log })
  opened.add(() => store.close())
  if (store.pgConnection === undefined) return { store, eventRelay: undefined }
  const eventRelay = await startPgEventRelay({ connection: store.pgConnection, clock, random, log })
  opened.add(() => eventRelay.stop())
  return { store, eventRelay }
}

interface HubParts {
  readonly stopSweeper: Cancel
  readonly listening: FastifyInstance
  readonly metrics: MetricsListener | undefined
  readonly proofs: ProofPublisher
  readonly mqtt: MqttSide
  readonly lora: LoraPath | undefined
  readonly anchoring: AnchorService
  readonly pool: VerifyPool
  readonly eventRelay: EventRelay | undefined
  readonly store: HubStore
  readonly lock: DataDirLock
}

/**
 * New work stops first (HTTP, then MQTT: the message in hand is finished and acked), then the verifiers and the
 * anchoring, then the database, which holds everything acked.
 */
async function stopInOrder(parts: HubParts): Promise<void> {
  try {
    parts.stopSweeper()
    // A request in flight is answered, then its connection ends instead of idling out the keep-alive.
    parts.listening.server.keepAliveTimeout = 1
    await parts.listening.close()
    await parts.metrics?.close()
    await parts.proofs.stop()
    await parts.mqtt.stop()
    await parts.lora?.stop()
    await parts.anchoring.stop()
    await parts.pool.close()
    await parts.eventRelay?.stop()
  } finally {
    try {
      await parts.store.close()
    } finally {
      parts.lock.release()
    }
  }
}

interface HubMqtt {
  readonly mqtt: MqttSide
  readonly proofs: ProofPublisher
  /** The record verifiers: closed once the MQTT side has stopped. */
  readonly pool: VerifyPool
}

/**
 * Starts the MQTT side over the hub's services: the ingest, the refunds and the proofs it answers gateways with.
 * What it opens joins `opened`, to be closed if a later step of the hub's start fails.
 */
async function startHubMqtt(
  context: HubContext, services: HubServices,
  { bus, random, opened, beforeStep }: {
    bus: LateBoundBus; random: RandomBytes; opened: Closers; beforeStep: HubOverrides['beforeStep']
  },
  recordsStored: (eui: string) => void,
): Promise<HubMqtt> {
  const updateKey = signedUpdateKey(context.hubKeys, loadOrCreateUpdateKeys(keysFolder(context.config), random), context.clock.now_ms())
  const pool = new VerifyPool()
  opened.add(() => pool.close())
  const { revocations, catchUp, gateways } = services
  const { clock } = context
  const ingest = new RecordIngest({
    store: services.ingest,
    ledger: context.ledger,
    pool,
    clock,
    hubKeys: context.hubKeys,
    ed25519: nodeEd25519,
    fees: feeScheduleResolver(context.ledger, clock),
    gateway: eui => gateways.ingestView(eui),
    revoke: async (voucherIds, reason) => {
      await revocations.revoke(voucherIds, reason)
    },
    settings: INGEST_SETTINGS,
    events: services.events,
    recordsStored,
    metrics: services.metrics,
  })
  // Proofs go out on the bus, which the MQTT side attaches; anchored batches and gateways' requests feed it.
  const proofs = new ProofPublisher({ engine: context.engine, hubKeys: context.hubKeys, ed25519: nodeEd25519, bus, log: context.log })
  opened.add(() => proofs.stop())
  const mqtt = await startMqttSide(context, {
    ingest,
    proofs,
    refunds: new Refunds({
      store: services.refunds, ledger: context.ledger, clock, hubKeys: context.hubKeys, ed25519: nodeEd25519,
      gateway: eui => gateways.ingestView(eui), metrics: services.metrics,
    }),
    revocations,
    revocationCatchUp: catchUp,
    gatewayView: eui => gateways.ingestView(eui),
    republishConfigs: async () => {
      await republishConfigs(context)
      await clearRetiredRetainedMessages(context)
    },
    publishUpdateKey: () => bus.publish(UPDATE_KEY_TOPIC, updateKey, { retain: true }),
    presence: services.presence,
    bus,
    ...(beforeStep === undefined ? {} : { beforeStep }),
  })
  opened.add(() => mqtt.stop())
  services.metrics.watch({ verifyQueueJobs: () => pool.jobsWaiting, mqttClientsConnected: () => mqtt.clientsConnected() })
  return { mqtt, proofs, pool }
}

/** The context of a hub over its open store: keys from the keys folder (the data folder unless --keys-dir says). */
function hubContext(
  config: HubConfig,
  { store, eventRelay, clock, log, random, bus, tls }: {
    store: HubStore; eventRelay: EventRelay | undefined; clock: Clock; log: FastifyBaseLogger; random: RandomBytes; bus: LateBoundBus
    tls: HubTls | undefined
  },
): HubContext {
  const keysDir = keysFolder(config)
  return {
    config,
    tls,
    clock,
    random,
    db: store.sqlite,
    engine: store.engine,
    ...(store.walSync === undefined ? {} : { walSync: store.walSync }),
    store,
    ...(eventRelay === undefined ? {} : { eventRelay }),
    hubKeys: loadOrCreateHubKeys(keysDir, random),
    jwtSecret: loadOrCreateJwtSecret(keysDir, random, config.jwtSecret),
    log,
    passwords: createPasswordHasher({ random, ...(config.passwordCost === undefined ? {} : { cost: config.passwordCost }) }),
    ledger: store.ledger,
    bus,
    broker: { boundPort: undefined },
  }
}

/** The keys folder, made (owner only) if missing: hubs that share a database share it, and the first start fills it. */
function keysFolder(config: HubConfig): string {
  const keysDir = resolve(keysDirOf(config))
  mkdirSync(keysDir, { recursive: true, mode: 0o700 })
  return keysDir
}

/** Offline-payment settings of the ingest; exported for the tests and the simulator. */
const INGEST_SETTINGS: IngestSettings = {
  revocationGrace_ms: 10 * 60 * 1000,
  clockSkewMax_ms: 5 * 60 * 1000,
  rejectedBatchesKept_max: 10_000,
}

const VOUCHER_SWEEP_INTERVAL_MS = 60 * 1000

/**
 * Gives back what is left of each hold once its voucher's upload deadline has passed, takes
 * vouchers expired past the grace off the revocation list, and deletes the deltas no catch-up
 * uses any more; each step bounded per sweep. It also publishes the latest revocation delta, retained, whenever
 * the list moved since the sweep before (and on the first sweep): a hub that stored a delta and died before it
 * published it leaves gateways one delta behind for at most one sweep.
 */
function startVoucherSweeper(context: HubContext, vouchers: VoucherService, revocations: Revocations): Cancel {
  let serialPublished: number | undefined
  const sweep = async (): Promise<void> => {
    const released = await vouchers.releaseDue()
    if (released > 0) context.log.info({ released }, 'released the holds of expired vouchers')
    const unlisted = await revocations.expire()
    if (unlisted > 0) context.log.info({ unlisted }, 'took vouchers expired past the grace off the revocation list')
    const pruned = await revocations.prune()
    if (pruned > 0) context.log.debug({ pruned }, 'deleted revocation deltas no catch-up needs')
    const serial = await revocations.serial()
    if (serial !== serialPublished) {
      await revocations.publishLatest()
      serialPublished = serial
    }
  }
  // repeat() waits for a sweep to finish before it counts the next interval: sweeps never overlap.
  return repeat(context.clock, () => sweep()
    .catch(error => context.log.error({ err: error }, 'the voucher sweep failed; the next one tries again')),
  VOUCHER_SWEEP_INTERVAL_MS, { background: true })
}

/** A host a client on this machine can connect to, for the URLs the hub prints. */
function reachableHost(listenHost: string): string {
  if (listenHost === '0.0.0.0') return '127.0.0.1'
  if (listenHost === '::') return '[::1]'
  return listenHost.includes(':') ? `[${listenHost}]` : listenHost
}
