// Shared set-up for the MQTT tests: a manual clock, deterministic randomness, provisioned
// gateways, an embedded broker on 127.0.0.1:0 and real mqtt.js clients.

import { connectAsync, type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt'
import { sha256 } from '../../../protocol/bytes'
import { ManualClock } from '../../../protocol/clock'
import { nodeEd25519 } from '../../../protocol/signature/node'
import type { KeyPair } from '../../../protocol/signature/ed25519'
import { startBroker, type BrokerEvent, type BrokerOptions, type RunningBroker } from '../../../hub/mqtt/broker'
import { GatewayPasswordVerifier, makeGatewayPassword } from '../../../hub/mqtt/gateway-password'
import { SeenNonces, type SeenNoncesOptions } from '../../../hub/mqtt/seen-nonces'
import { openDatabase } from '../../../hub/store/database'
import { SqliteEngine } from '../../../hub/store/sql'

export const START_MS = Date.UTC(2025, 0, 1)
export const HUB_CREDENTIALS = Object.freeze({ username: 'payall-hub', password: 'correct horse battery staple' })

/** Deterministic bytes: SHA-256 of (seed, counter), as many as asked. */
export function seededRandom(seed: number): (length: number) => Uint8Array {
  let counter = 0
  return (length) => {
    const out = new Uint8Array(length)
    for (let offset = 0; offset < length; offset += 32) {
      const block = sha256(new Uint8Array(new Uint32Array([seed, counter++]).buffer))
      out.set(block.subarray(0, Math.min(32, length - offset)), offset)
    }
    return out
  }
}

/** Seen nonces in a fresh in-memory hub database: what a hub's first start has. */
export function freshSeenNonces(options: SeenNoncesOptions = {}): SeenNonces {
  return new SeenNonces(new SqliteEngine(openDatabase(':memory:')), options)
}

export interface TestGateway {
  eui: string
  keys: KeyPair
}

function testGateway(eui: string, seedByte: number): TestGateway {
  return { eui, keys: nodeEd25519.keyPairFromSeed(new Uint8Array(32).fill(seedByte)) }
}

export const GATEWAY_A = testGateway('00112233445566A1', 1)
export const GATEWAY_B = testGateway('00112233445566B2', 2)
/** Has keys but is not provisioned on the broker. */
export const GATEWAY_UNKNOWN = testGateway('00112233445566C3', 3)

export interface TestBroker {
  broker: RunningBroker
  clock: ManualClock
  random: (length: number) => Uint8Array
  events: BrokerEvent[]
  /** Resolves with the first logged event (past or future) that satisfies `predicate`. */
  nextEvent<Kind extends BrokerEvent['kind']>(
    kind: Kind,
    predicate?: (event: Extract<BrokerEvent, { kind: Kind }>) => boolean,
  ): Promise<Extract<BrokerEvent, { kind: Kind }>>
  password(gateway: TestGateway, now_ms?: number): string
  /** Connects a gateway with a fresh password; rejects on a refused CONNACK. */
  connectGateway(gateway: TestGateway, overrides?: IClientOptions): Promise<MqttClient>
  /** A plain mqtt.js client with the hub's credentials. */
  connectHubMqtt(overrides?: IClientOptions): Promise<MqttClient>
}

export async function startTestBroker(overrides: Partial<BrokerOptions> = {}): Promise<TestBroker> {
  const clock = new ManualClock(START_MS)
  const random = seededRandom(7)
  const events: BrokerEvent[] = []
  const waiters: Array<(event: BrokerEvent) => boolean> = []
  const provisioned = new Map([GATEWAY_A, GATEWAY_B].map((gateway) => [gateway.eui, gateway.keys.publicKey]))
  const broker = await startBroker({
    host: '127.0.0.1',
    port: 0,
    lookupGatewayKey: async (eui) => provisioned.get(eui),
    verifier: new GatewayPasswordVerifier({ ed25519: nodeEd25519, clock, seenNonces: freshSeenNonces() }),
    hubCredentials: HUB_CREDENTIALS,
    log: (event) => {
      events.push(event)
      for (let index = waiters.length - 1; index >= 0; index--) if (waiters[index]!(event)) waiters.splice(index, 1)
    },
    ...overrides,
  })

  const password = (gateway: TestGateway, now_ms = clock.now_ms()): string =>
    makeGatewayPassword(gateway.eui, gateway.keys.secretKey, now_ms, random, nodeEd25519)

  return {
    broker,
    clock,
    random,
    events,
    nextEvent(kind, predicate = () => true) {
      type Wanted = Extract<BrokerEvent, { kind: typeof kind }>
      const matches = (event: BrokerEvent): event is Wanted => event.kind === kind && predicate(event as Wanted)
      const past = events.find(matches)
      if (past !== undefined) return Promise.resolve(past)
      return new Promise((resolve) => {
        waiters.push((event) => {
          if (!matches(event)) return false
          resolve(event)
          return true
        })
      })
    },
    password,
    connectGateway(gateway, clientOverrides = {}) {
      return connectAsync(
        broker.url,
        {
          clientId: gateway.eui,
          username: gateway.eui,
          password: password(gateway),
          reconnectPeriod: 0,
          ...clientOverrides,
        },
        false,
      )
    },
    connectHubMqtt(clientOverrides = {}) {
      return connectAsync(
        broker.url,
        { clientId: 'hub-test', ...HUB_CREDENTIALS, reconnectPeriod: 0, ...clientOverrides },
        false,
      )
    },
  }
}

/** The CONNACK return code a refused connect rejected with. */
export async function refusalCode(connecting: Promise<MqttClient>): Promise<unknown> {
  try {
    const client = await connecting
    await client.endAsync(true)
    return 'connected'
  } catch (error) {
    return (error as { code?: unknown }).code
  }
}

/** Resolves with the next message on `topic`. */
export function nextMessage(client: MqttClient, topic: string): Promise<{ payload: Buffer; packet: IPublishPacket }> {
  return new Promise((resolve) => {
    const onMessage = (received: string, payload: Buffer, packet: IPublishPacket): void => {
      if (received !== topic) return
      client.off('message', onMessage)
      resolve({ payload, packet })
    }
    client.on('message', onMessage)
  })
}

/** Resolves when the client's connection closes (by either side); call it before causing the close. */
export function closed(client: MqttClient): Promise<void> {
  return new Promise((resolve) => client.once('close', () => resolve()))
}
