// The hub's MQTT side: the embedded broker (or an external one by URL), the hub's own client,
// and the routes from gateway topics to the ingest: record batches answered by signed acks,
// online authorization requests answered in one round trip, proof and revocation catch-up requests.
// Retained state (the latest revocation delta, each gateway's config) is published again on every
// start, so nothing stored goes unsent.

import { toHex } from '../../protocol/bytes'
import { ackCodec } from '../../protocol/messages/ack'
import { MessageType } from '../../protocol/codec'
import { onlineAuthorizationResponseCodec } from '../../protocol/messages/online-authorization'
import { refundResponseCodec } from '../../protocol/messages/refund'
import { nodeEd25519 } from '../../protocol/signature/node'
import { gatewayTopic, hubTopicFilter, parseTopic } from '../../protocol/topics'
import type { ProofPublisher } from '../anchor/proof-publisher'
import type { LateBoundBus } from '../bus'
import type { HubContext } from '../context'
import { startBroker, type RunningBroker } from '../mqtt/broker'
import { GatewayPasswordVerifier } from '../mqtt/gateway-password'
import { SeenNonces } from '../mqtt/seen-nonces'
import { connectHubClient, type HubClient } from '../mqtt/hub-client'
import type { Refunds } from '../refunds/refunds'
import type { RevocationCatchUp } from '../vouchers/revocation-catch-up'
import type { Revocations } from '../vouchers/revocations'
import type { GatewayView } from '../gateways/view'
import type { RecordIngest } from './ingest'

export const HUB_CLIENT_ID = 'payall-hub'
const HUB_USERNAME = 'payall-hub'
/** Record batches being verified or settled at once: bounds memory and the work lost to a crash. */
export const INGESTS_IN_FLIGHT_MAX = 8

export interface MqttSideDependencies {
  ingest: RecordIngest
  /** Answers gateways' ProofRequests with ProofBundles on their proofs topic. */
  proofs: Pick<ProofPublisher, 'answer'>
  refunds: Refunds
  revocations: Revocations
  /** Answers gateways' RevocationCatchUpRequests on their revocations/catch-up topic. */
  revocationCatchUp: Pick<RevocationCatchUp, 'answer'>
  gatewayView(eui: string): GatewayView | undefined
  /** Publishes every provisioned gateway's stored RiskConfig, retained. */
  republishConfigs(): Promise<void>
  bus: LateBoundBus
}

export interface MqttSide {
  /** The broker URL gateways connect to. */
  readonly url: string
  /** The hub client: stops taking messages, finishes the one in hand, then the broker closes. */
  stop(): Promise<void>
}

export async function startMqttSide(context: HubContext, deps: MqttSideDependencies): Promise<MqttSide> {
  const { config, log } = context
  let broker: RunningBroker | undefined
  let clientUrl: string
  let username: string
  let password: string
  let publicUrl: string
  if (config.mqttUrl !== undefined) {
    const external = new URL(config.mqttUrl)
    username = decodeURIComponent(external.username) || HUB_USERNAME
    password = decodeURIComponent(external.password)
    external.username = ''
    external.password = ''
    clientUrl = external.toString()
    publicUrl = clientUrl
  } else {
    username = HUB_USERNAME
    // A fresh secret per process: only this hub's own client can log in as the hub.
    password = toHex(context.random(24))
    broker = await startBroker({
      host: config.mqttHost,
      port: config.mqttPort,
      lookupGatewayKey: eui => {
        const gateway = deps.gatewayView(eui)
        return gateway?.status === 'provisioned' && gateway.publicKey !== null ? gateway.publicKey : undefined
      },
      verifier: new GatewayPasswordVerifier({
        ed25519: nodeEd25519, clock: () => context.clock.nowMs(), seenNonces: new SeenNonces(context.db),
      }),
      hubCredentials: { username, password },
      log: event => {
        if (event.kind === 'connect-refused' || event.kind === 'publish-refused' || event.kind === 'subscribe-refused'
          || event.kind === 'queue-dropped' || event.kind === 'retained-refused') {
          log.warn({ mqtt: event }, `mqtt: ${event.kind}`)
        } else if (event.kind === 'client-error' || event.kind === 'broker-error') {
          log.warn({ mqtt: event }, `mqtt: ${event.kind}`)
        } else {
          log.debug({ mqtt: event }, `mqtt: ${event.kind}`)
        }
      },
    })
    clientUrl = `mqtt://127.0.0.1:${broker.port}`
    context.broker.boundPort = broker.port
    publicUrl = config.mqttHost === '0.0.0.0' || config.mqttHost === '::' ? clientUrl : broker.url
  }

  let client: HubClient
  try {
    client = await connectHubClient({
      url: clientUrl,
      username,
      password,
      clientId: HUB_CLIENT_ID,
      log: event => log.debug({ mqtt: event }, `hub client: ${event.kind}`),
    })
  } catch (error) {
    await broker?.close()
    throw error
  }
  deps.bus.attach(client)

  // Batches are taken in arrival order but not awaited one by one: up to INGESTS_IN_FLIGHT_MAX
  // are verified while earlier ones settle. A batch is safe once it is in the database and
  // answered by a signed ack; until then its gateway keeps it and sends it again.
  const inFlight = new Set<Promise<void>>()
  await client.subscribe(hubTopicFilter('records'), async (topic, payload) => {
    const { eui } = gatewayOf(topic)
    const job = deps.ingest.ingest(eui, new Uint8Array(payload))
      .then(async ack => {
        if (ack !== null) await client.publish(gatewayTopic(eui, 'acks'), ackCodec.encode(ack))
      })
      .catch(error => log.error({ err: error, eui }, 'a record batch was not settled; the gateway will send it again'))
      .finally(() => inFlight.delete(job))
    inFlight.add(job)
    while (inFlight.size >= INGESTS_IN_FLIGHT_MAX) await Promise.race(inFlight)
  })
  // Online requests share one topic pair; the message type (the first byte) tells them apart.
  await client.subscribe(hubTopicFilter('online/request'), async (topic, payload) => {
    const { eui } = gatewayOf(topic)
    const bytes = new Uint8Array(payload)
    const reply = bytes[0] === MessageType.RefundRequest
      ? await deps.refunds.handle(eui, bytes).then(answer => answer === null ? null : refundResponseCodec.encode(answer))
      : await deps.ingest.authorizeOnline(eui, bytes).then(answer => answer === null ? null : onlineAuthorizationResponseCodec.encode(answer))
    if (reply !== null) await client.publish(gatewayTopic(eui, 'online/response'), reply, { qos: 1 })
  })

  await client.subscribe(hubTopicFilter('proofs/request'), async (topic, payload) => {
    await deps.proofs.answer(gatewayOf(topic).eui, new Uint8Array(payload))
  })

  await client.subscribe(hubTopicFilter('revocations/request'), async (topic, payload) => {
    const { eui } = gatewayOf(topic)
    await deps.revocationCatchUp.answer(eui, new Uint8Array(payload))
      .catch(error => log.error({ err: error, eui }, 'a revocation catch-up was not answered; the gateway asks again'))
  })

  await deps.revocations.publishLatest()
  await deps.republishConfigs()

  return {
    url: publicUrl,
    async stop() {
      try {
        await client.close()
        await Promise.all(inFlight)
      } finally {
        await broker?.close()
      }
    },
  }
}

function gatewayOf(topic: string): { eui: string } {
  const parsed = parseTopic(topic)
  if (parsed.kind === 'revocations') throw new Error(`not a gateway topic: ${topic}`)
  return { eui: parsed.eui }
}
