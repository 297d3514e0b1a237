// The hub's MQTT side: the embedded broker (or an external one by URL), the hub's own client, and
// what the hub does with each topic gateways publish to, one handler per message kind: record
// batches answered by signed acks, online authorization and refund requests answered in one round
// trip, proof and revocation catch-up requests, and gateways' presence (from the embedded broker's
// connections, or from their retained status topic on an external broker). Retained state (the latest
// revocation delta, each gateway's config) is published again on every start, so nothing stored goes unsent.

import type { FastifyBaseLogger } from 'fastify'
import { toHex } from '../protocol/bytes'
import type { Clock } from '../protocol/clock'
import { Closers } from '../protocol/closers'
import { MessageType } from '../protocol/codec'
import { ackCodec } from '../protocol/messages/ack'
import { onlineAuthorizationResponseCodec, type OnlineAuthorizationResponse } from '../protocol/messages/online-authorization'
import { onlineVoidResponseCodec } from '../protocol/messages/online-void'
import { refundResponseCodec } from '../protocol/messages/refund'
import { QueueFullError } from '../protocol/serial-queue'
import { nodeEd25519 } from '../protocol/signature/node'
import { pinnedTlsOptions, type PinnedTlsOptions } from '../protocol/tls-pin'
import { gatewayTopic, hubTopicFilter, parseTopic, type GatewayTopicKind } from '../protocol/topics'
import type { ProofPublisher } from './anchor/proof-publisher'
import type { LateBoundBus } from './bus'
import type { HubContext } from './context'
import { BrokerLogins } from './gateways/broker-logins'
import type { GatewayPresenceTracker } from './gateways/presence'
import { GatewayStore } from './gateways/store'
import { signingKeyOf, type GatewayView } from './gateways/view'
import { HubFaultError } from './ingest/hub-fault'
import type { RecordIngest } from './ingest/ingest'
import { startBroker, type RunningBroker } from './mqtt/broker'
import { DynsecClient } from './mqtt/dynsec'
import { GatewayPasswordVerifier } from './mqtt/gateway-password'
import { connectHubClient, type HubClient } from './mqtt/hub-client'
import { SeenNonces } from './mqtt/seen-nonces'
import type { Refunds } from './refunds/refunds'
import type { RevocationCatchUp } from './vouchers/revocation-catch-up'
import type { Revocations } from './vouchers/revocations'

const HUB_CLIENT_ID = 'payall-hub'
const HUB_USERNAME = 'payall-hub'
/** The shared-subscription group of the hubs of a cluster on an external broker. */
const HUB_SHARE_GROUP = 'payall-hub'
/** Record batches being verified or settled at once: bounds memory and the work lost to a crash. */
const INGESTS_IN_FLIGHT_MAX = 8
/** Batches settled and waiting for their fsync before they are answered; a disk that stalls holds the next ones back here. */
const ANSWERS_PENDING_MAX = 512

export interface MqttSideDependencies {
  ingest: RecordIngest
  /** Answers gateways' ProofRequests with ProofBundles on their proofs topic. */
  proofs: Pick<ProofPublisher, 'answer'>
  refunds: Refunds
  revocations: Revocations
  /** Answers gateways' RevocationCatchUpRequests on their revocations/catch-up topic. */
  revocationCatchUp: Pick<RevocationCatchUp, 'answer'>
  gatewayView(eui: string): Promise<GatewayView | undefined>
  /** Publishes every provisioned gateway's stored RiskConfig, retained, and clears retired gateways' retained messages. */
  republishConfigs(): Promise<void>
  /** Publishes the hub-signed UpdateKey, retained, for every gateway. */
  publishUpdateKey(): Promise<void>
  /** Records who is online: from the embedded broker's connections, or from the status topic through an external one. */
  presence: GatewayPresenceTracker
  bus: LateBoundBus
  /** Times the hub client's reconnects and timeouts: the system's where not given. */
  clock?: Clock
  /** Told as each step of the start begins; a throw fails the start there (tests fail each step so). */
  beforeStep?(step: MqttStartStep): void | Promise<void>
}

/** The steps of the MQTT side's start, in order. */
export type MqttStartStep = 'broker' | 'hub-client' | 'subscribe' | 'revocations' | 'configs' | 'update-key'

export interface MqttSide {
  /** The broker URL gateways connect to. */
  readonly url: string
  /** Clients connected to the embedded broker now, the hub's own included; undefined through an external broker. */
  clientsConnected(): number | undefined
  /** The hub client: stops taking messages, finishes the one in hand, then the broker closes. */
  stop(): Promise<void>
}

type Publish = HubClient['publish']
/** What the hub does with one message a gateway published under its EUI. */
type GatewayMessageHandler = (eui: string, payload: Uint8Array) => Promise<void>

/** Starts the MQTT side; a step that fails closes what the earlier ones opened (the client, then the broker), and throws. */
export async function startMqttSide(context: HubContext, deps: MqttSideDependencies): Promise<MqttSide> {
  const { log } = context
  const opened = new Closers()
  try {
    await deps.beforeStep?.('broker')
    const { broker, login, publicUrl } = await brokerToUse(context, deps)
    if (broker !== undefined) opened.add(() => broker.close())
    // Before the hub's own client subscribes: its login gets its role there.
    const logins = context.config.mqttLogins === 'dynsec' ? await keepBrokerLogins(context, login) : undefined
    if (logins !== undefined) {
      opened.add(async () => {
        context.broker.logins = undefined
        await logins.close()
      })
    }
    await deps.beforeStep?.('hub-client')
    const client = await connectHubClient({
      ...login,
      ...hubClientIdentity(context),
      log: event => log.debug({ mqtt: event }, `hub client: ${event.kind}`),
      ...(deps.clock === undefined ? {} : { clock: deps.clock }),
    })
    deps.bus.attach(client)
    const batches = new RecordBatchRoute(deps.ingest, (...args) => client.publish(...args), log)
    const closeClient = async (): Promise<void> => {
      await client.close()
      await batches.settled()
    }
    opened.add(closeClient)

    await deps.beforeStep?.('subscribe')
    for (const [kind, handle] of gatewayRoutes(deps, batches, client, broker === undefined, log)) {
      await client.subscribe(hubTopicFilter(kind), (topic, payload) => handle(gatewayOf(topic), new Uint8Array(payload)))
    }
    await deps.beforeStep?.('revocations')
    await deps.revocations.publishLatest()
    await deps.beforeStep?.('configs')
    await deps.republishConfigs()
    await deps.beforeStep?.('update-key')
    await deps.publishUpdateKey()

    return {
      url: publicUrl,
      clientsConnected: () => broker?.aedes.connectedClients,
      async stop() {
        try {
          await closeClient()
        } finally {
          context.broker.logins = undefined
          await logins?.close()
          await broker?.close()
        }
      },
    }
  } catch (error) {
    await opened.closeAll(closeError => log.warn({ err: closeError }, 'closing the MQTT side after a failed start failed'))
    throw error
  }
}

/** What the hub does with each topic gateways publish to; presence comes from the status topic only through an external broker. */
function gatewayRoutes(
  deps: MqttSideDependencies, batches: RecordBatchRoute, client: HubClient, externalBroker: boolean, log: FastifyBaseLogger,
): Array<readonly [GatewayTopicKind, GatewayMessageHandler]> {
  const routes: Array<readonly [GatewayTopicKind, GatewayMessageHandler]> = [
    ['records', (eui, payload) => batches.take(eui, payload)],
    ['online/request', onlineRequestRoute(deps, (...args) => client.publish(...args), log)],
    ['proofs/request', (eui, payload) => deps.proofs.answer(eui, payload)],
    ['revocations/request', async (eui, payload) => {
      await deps.revocationCatchUp.answer(eui, payload)
        .catch(error => log.error({ err: error, eui }, 'a revocation catch-up was not answered; the gateway asks again'))
    }],
  ]
  // The embedded broker sees every connection itself; through an external one, gateways say so on their status topic.
  if (externalBroker) routes.push(['status', presenceRoute(deps.presence, log)])
  return routes
}

/**
 * Record batches are taken in arrival order but not awaited one by one: up to INGESTS_IN_FLIGHT_MAX
 * are verified or waiting to settle while earlier ones settle (the next batch waits, unacknowledged at
 * the broker). A batch that has settled leaves that count while its ack waits for the fsync that makes
 * its commit durable: one fsync covers every batch committed before it, so many small batches (a large
 * fleet's) share one instead of eight at a time waiting on the disk. A batch is safe once it is in the
 * database and answered by a signed ack; until then its gateway keeps it and sends it again after its
 * ack timeout. So a batch the ingest refuses (QUEUE_FULL: its queue is full) or fails on (HUB_FAULT: a
 * fault of the hub, never a decision about its payments) is logged and left unanswered, and comes
 * again; the batches after it go on.
 */
export class RecordBatchRoute {
  /** Batches taken and not yet settled: what INGESTS_IN_FLIGHT_MAX bounds. */
  private readonly unsettled = new Set<Promise<void>>()
  /** Batches taken and not yet answered (or given up). */
  private readonly unanswered = new Set<Promise<void>>()

  constructor(
    private readonly ingest: Pick<RecordIngest, 'ingest'>,
    private readonly publish: Publish,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** Resolves once the batch is taken, as soon as fewer than INGESTS_IN_FLIGHT_MAX are unsettled and ANSWERS_PENDING_MAX unanswered. */
  async take(eui: string, payload: Uint8Array): Promise<void> {
    let markSettled!: () => void
    const settlement = new Promise<void>(resolve => { markSettled = resolve })
      .finally(() => this.unsettled.delete(settlement))
    this.unsettled.add(settlement)
    const job = this.ingest.ingest(eui, payload, markSettled)
      .then(async ack => {
        if (ack !== null) await this.publish(gatewayTopic(eui, 'acks'), ackCodec.encode(ack))
      })
      .catch(error => this.log.error({ err: error, eui }, 'a record batch was not settled; the gateway will send it again'))
      .finally(() => {
        markSettled()
        this.unanswered.delete(job)
      })
    this.unanswered.add(job)
    while (this.unsettled.size >= INGESTS_IN_FLIGHT_MAX) await Promise.race(this.unsettled)
    while (this.unanswered.size >= ANSWERS_PENDING_MAX) await Promise.race(this.unanswered)
  }

  /** Settles once every batch taken so far is answered or given up. */
  async settled(): Promise<void> {
    await Promise.all(this.unanswered)
  }
}

/**
 * Online authorization requests, their voids and refund requests share one topic pair; the message type (the first byte)
 * tells them apart. A request refused because its queue is full (QUEUE_FULL), or that a fault of
 * the hub left undecided (HUB_FAULT), is decided nothing about: an authorization is answered
 * HubUnavailable at once (OnlineAuthorization.undecided), a void or a refund gets no answer and its
 * wait times out; either way the MQTT message is handled so the hub's client keeps its connection.
 */
export function onlineRequestRoute(
  deps: Pick<MqttSideDependencies, 'ingest' | 'refunds'>, publish: Publish, log: FastifyBaseLogger,
): GatewayMessageHandler {
  return async (eui, bytes) => {
    let reply: Uint8Array | null
    try {
      reply = bytes[0] === MessageType.RefundRequest
        ? await deps.refunds.handle(eui, bytes).then(answer => answer === null ? null : refundResponseCodec.encode(answer))
        : bytes[0] === MessageType.OnlineVoidRequest
          ? await deps.ingest.voidOnline(eui, bytes).then(answer => answer === null ? null : onlineVoidResponseCodec.encode(answer))
          : await deps.ingest.authorizeOnline(eui, bytes).then(answer => answer === null ? null : onlineAuthorizationResponseCodec.encode(answer))
    } catch (error) {
      if (error instanceof HubFaultError) {
        log.error({ err: error, eui, fault: error.kind }, 'an online request was not decided: a fault of the hub')
      } else if (error instanceof QueueFullError) {
        log.warn({ err: error, eui }, 'an online request was not decided: the hub is busy')
      } else {
        throw error
      }
      // An authorization is told so at once (the customer waits at the counter); a refund or a void times out.
      reply = bytes[0] === MessageType.OnlineAuthorizationRequest ? encodedOrNull(deps.ingest.undecidedOnline(bytes)) : null
    }
    if (reply !== null) await publish(gatewayTopic(eui, 'online/response'), reply, { qos: 1 })
  }
}

function encodedOrNull(answer: OnlineAuthorizationResponse | null): Uint8Array | null {
  return answer === null ? null : onlineAuthorizationResponseCodec.encode(answer)
}

/** A gateway's GatewayPresence through an external broker: recorded if it is news, else logged and dropped. */
function presenceRoute(presence: GatewayPresenceTracker, log: FastifyBaseLogger): GatewayMessageHandler {
  return async (eui, payload) => {
    // The hub clearing a retired gateway's retained presence (gateways/config.ts clearRetainedMessages).
    if (payload.length === 0) return
    const outcome = await presence.report(eui, payload)
    if (outcome === 'applied' || outcome === 'unchanged') return
    log.warn({ eui, outcome }, 'a gateway presence message was not recorded')
  }
}

interface BrokerToUse {
  /** The embedded broker, when no external one is configured. */
  readonly broker: RunningBroker | undefined
  /** Where and as whom the hub's own client logs in, and the certificate it accepts there (the embedded broker's). */
  readonly login: { readonly url: string; readonly username: string; readonly password: string; readonly tls?: PinnedTlsOptions }
  readonly publicUrl: string
}

/**
 * How the hub's client meets the broker. Hubs on one PostgreSQL and an external broker are a cluster: they subscribe
 * in the shared group `$share/payall-hub/…`, so each gateway message reaches one of the hubs running; each has a
 * client id of its own (one id would have the broker drop one hub for the other), and a session the broker forgets
 * when the hub goes, so what the gateways send next goes to the hubs still running instead of waiting for a hub that
 * died (a gateway sends again what was not acked). A hub alone (SQLite) subscribes plainly, which any broker takes,
 * and keeps one id and its session across restarts, so the broker queues for it while it restarts.
 */
function hubClientIdentity(context: HubContext): { clientId: string; shareGroup?: string; cleanSession?: boolean } {
  const { config } = context
  if (config.mqttUrl === undefined || config.databaseUrl === undefined) return { clientId: HUB_CLIENT_ID }
  return { clientId: `${HUB_CLIENT_ID}-${toHex(context.random(6))}`, shareGroup: HUB_SHARE_GROUP, cleanSession: true }
}

/** The external broker of config.mqttUrl, or the embedded one, started now with a fresh hub password. */
async function brokerToUse(context: HubContext, deps: MqttSideDependencies): Promise<BrokerToUse> {
  const { config, log } = context
  if (config.mqttUrl !== undefined) {
    const external = new URL(config.mqttUrl)
    const username = decodeURIComponent(external.username) || HUB_USERNAME
    const password = decodeURIComponent(external.password)
    external.username = ''
    external.password = ''
    return { broker: undefined, login: { url: external.toString(), username, password }, publicUrl: external.toString() }
  }
  // A fresh secret per process: only this hub's own client can log in as the hub.
  const login = { username: HUB_USERNAME, password: toHex(context.random(24)) }
  // Nobody is connected to a broker that is only starting, whatever the hub recorded before it stopped.
  await deps.presence.allOffline()
  const { tls } = context
  const broker = await startBroker({
    host: config.mqttHost,
    port: config.mqttPort,
    ...(tls === undefined ? {} : { tls: { cert: tls.certificateChainPem, key: tls.keyPem } }),
    lookupGatewayKey: async eui => signingKeyOf(await deps.gatewayView(eui)),
    verifier: new GatewayPasswordVerifier({
      ed25519: nodeEd25519, clock: context.clock, seenNonces: new SeenNonces(context.engine),
    }),
    hubCredentials: login,
    presence: (eui, online) => deps.presence.connection(eui, online),
    log: event => {
      if (event.kind === 'connect-refused' || event.kind === 'publish-refused' || event.kind === 'subscribe-refused'
        || event.kind === 'queue-dropped' || event.kind === 'retained-refused'
        || event.kind === 'client-error' || event.kind === 'broker-error') {
        log.warn({ mqtt: event }, `mqtt: ${event.kind}`)
      } else {
        log.debug({ mqtt: event }, `mqtt: ${event.kind}`)
      }
    },
  })
  context.broker.boundPort = broker.port
  // Over TLS the hub's own client trusts its broker as a gateway does: by the very certificate, whatever name it carries.
  const url = `${tls === undefined ? 'mqtt' : 'mqtts'}://127.0.0.1:${broker.port}`
  return {
    broker,
    login: { url, ...login, ...(tls === undefined ? {} : { tls: pinnedTlsOptions(tls.certificate) }) },
    publicUrl: config.mqttHost === '0.0.0.0' || config.mqttHost === '::' ? url : broker.url,
  }
}

/**
 * The gateways' logins on an external Mosquitto, through its dynamic security plugin as the hub's own login (its
 * admin): made what the database says now, then kept as gateways are provisioned and retired (gateways/broker-logins.ts).
 */
async function keepBrokerLogins(context: HubContext, login: BrokerToUse['login']): Promise<{ close(): Promise<void> }> {
  const dynsec = await DynsecClient.connect(login, { clock: context.clock, clientId: `payall-hub-logins-${toHex(context.random(6))}` })
  try {
    const logins = new BrokerLogins(dynsec, context.hubKeys.secretKey, login.username)
    const reconciled = await logins.reconcile(new GatewayStore(context.engine))
    context.log.info({ broker: reconciled }, 'broker logins: gateways admitted, remade for a new key, shut out')
    context.broker.logins = logins
    return { close: () => dynsec.close() }
  } catch (error) {
    await dynsec.close()
    throw error
  }
}

function gatewayOf(topic: string): string {
  const parsed = parseTopic(topic)
  if (!('eui' in parsed)) throw new Error(`not a gateway topic: ${topic}`)
  return parsed.eui
}
