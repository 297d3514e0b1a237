// The load clients of the hub bench, in a process of their own as a fleet is in a deployment: one MQTT
// client per gateway publishes its prepared record batches at once and counts the settled records in
// the hub's acks. The hub's process then serves only the hub.

import mqtt, { type MqttClient } from 'mqtt'
import { fromHex } from '../protocol/bytes'
import { systemClock, systemRandom } from '../protocol/clock'
import { ackCodec, AckOutcome } from '../protocol/messages/ack'
import { nodeEd25519 } from '../protocol/signature/node'
import { gatewayTopic } from '../protocol/topics'
import { makeGatewayPassword } from '../hub/mqtt/gateway-password'

export interface LoadGateway {
  readonly eui: string
  readonly secretKeyHex: string
  /**
   * Its login on a Mosquitto whose logins the hub keeps (PAYALL_MQTT_LOGINS=dynsec), from its provisioning reply;
   * absent, it logs in to the hub's embedded broker with a password signed by its key.
   */
  readonly brokerPassword?: string
  /** Encoded record batches, base64, in order. */
  readonly batches: readonly string[]
  /** Published by the warm-up, before the measured load: the hub's code compiled and its tables not empty. */
  readonly warmUp?: boolean
}

export type LoadRequest = { kind: 'connect'; mqttUrl: string; gateways: readonly LoadGateway[] } | { kind: 'warm-up' } | { kind: 'publish' }
export type LoadMessage =
  | { kind: 'connected' }
  | { kind: 'warmed'; settled: number }
  | { kind: 'acked'; settled: number; elapsed_ms: number; cpu_us: number }
  | { kind: 'failed'; error: string }

function send(message: LoadMessage): void {
  process.send!(message)
}

/** A load client for the gateway, connected with its password and subscribed to its acks. */
async function connectGateway(mqttUrl: string, gateway: LoadGateway): Promise<MqttClient> {
  const client = mqtt.connect(mqttUrl, {
    clientId: gateway.eui, username: gateway.eui, reconnectPeriod: 0,
    password: gateway.brokerPassword
      ?? makeGatewayPassword(gateway.eui, fromHex(gateway.secretKeyHex), systemClock.now_ms(), systemRandom, nodeEd25519),
  })
  await new Promise<void>((resolve, reject) => { client.once('connect', () => resolve()); client.once('error', reject) })
  await client.subscribeAsync(gatewayTopic(gateway.eui, 'acks'), { qos: 1 })
  return client
}

/** Publishes every gateway's batches at once; resolves with the records settled once each has all its acks. */
async function publishUntilAcked(gateways: readonly LoadGateway[], clients: readonly MqttClient[]): Promise<number> {
  let settled = 0
  await Promise.all(gateways.map((gateway, g) => new Promise<void>((resolve, reject) => {
    const client = clients[g]!
    let acked = 0
    client.on('message', (_topic, payload) => {
      const ack = ackCodec.decode(new Uint8Array(payload))
      settled += ack.entries.filter(e => e.outcome === AckOutcome.Settled).length
      if (++acked === gateway.batches.length) resolve()
    })
    for (const batch of gateway.batches) {
      client.publishAsync(gatewayTopic(gateway.eui, 'records'), Buffer.from(batch, 'base64'), { qos: 1 }).catch(reject)
    }
  })))
  return settled
}

function main(): void {
  if (process.send === undefined) throw new Error('hub-load-child is forked with an IPC channel')
  let gateways: readonly LoadGateway[] = []
  let clients: MqttClient[] = []
  /** The gateways of the warm-up, or of the measured load, with their clients. */
  const roundOf = (warmUp: boolean): [LoadGateway[], MqttClient[]] => {
    const round = gateways.flatMap((gateway, g) => (gateway.warmUp ?? false) === warmUp ? [g] : [])
    return [round.map(g => gateways[g]!), round.map(g => clients[g]!)]
  }
  process.on('message', (request: LoadRequest) => {
    const work = request.kind === 'connect'
      ? (async () => {
        gateways = request.gateways
        clients = await Promise.all(gateways.map(gateway => connectGateway(request.mqttUrl, gateway)))
        send({ kind: 'connected' })
      })()
      : request.kind === 'warm-up'
      ? (async () => {
        send({ kind: 'warmed', settled: await publishUntilAcked(...roundOf(true)) })
      })()
      : (async () => {
        const start_ms = performance.now()
        const cpuBefore = process.cpuUsage()
        const settled = await publishUntilAcked(...roundOf(false))
        const elapsed_ms = performance.now() - start_ms
        const cpu = process.cpuUsage(cpuBefore)
        await Promise.all(clients.map(client => client.endAsync(true)))
        send({ kind: 'acked', settled, elapsed_ms, cpu_us: cpu.user + cpu.system })
        process.disconnect()
      })()
    work.catch(error => {
      send({ kind: 'failed', error: error instanceof Error ? error.stack ?? error.message : String(error) })
      process.exitCode = 1
      process.disconnect()
    })
  })
}

main()
