// Hub throughput end to end: signed record batches published over MQTT by load clients (one per
// gateway), verified, settled durably in SQLite and acked with a hub signature, against one
// core's raw node:crypto Ed25519 verify rate measured in the same run.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt, { type MqttClient } from 'mqtt'
import { ackCodec, AckOutcome } from '../protocol/messages/ack'
import { BATCH_RECORDS_MAX } from '../protocol/messages/record-batch'
import { nodeEd25519 } from '../protocol/signature/node'
import { measureVerifyRate } from '../protocol/signature/verify-rate'
import { gatewayTopic } from '../protocol/topics'
import { parseConfig } from '../hub/config'
import { makeGatewayPassword } from '../hub/mqtt/gateway-password'
import { startHub } from '../hub/server'
import { UserStore } from '../hub/users/store'
import { SimulatedGatewayChain } from '../simulator/gateway-chain'
import { customerWithVoucher, HubApi, provisionGateway } from '../simulator/hub-api'
import { round, type Metric } from './metric'

const GATEWAYS = 4
const CUSTOMERS_PER_GATEWAY = 10
const RECORDS = 20_000
const BATCH_RECORDS = BATCH_RECORDS_MAX
const CURRENCY = 'XOF'
const OPERATOR = { email: 'bench@payall.example', password: 'bench operator password 1' }

export async function benchHub(): Promise<Metric[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'payall-bench-hub-'))
  const hub = await startHub({
    ...parseConfig([], { PAYALL_OPERATOR_EMAIL: OPERATOR.email, PAYALL_OPERATOR_PASSWORD: OPERATOR.password }),
    dataDir, httpHost: '127.0.0.1', httpPort: 0, mqttHost: '127.0.0.1', mqttPort: 0, logLevel: 'silent',
  })
  const clients: MqttClient[] = []
  try {
    const operator = await new HubApi(hub.httpUrl).as(OPERATOR.email, OPERATOR.password)
    const chains = await provisionChains(hub, operator)
    await payAtEachGateway(operator, chains, hub.context)
    const batches = chains.map(batchesOf)
    for (const chain of chains) clients.push(await connectGateway(hub, chain))

    // Measured in the same run, on the same machine state, just before the load.
    const verifyRate = measureVerifyRate(nodeEd25519, 2000)

    const start_ms = performance.now()
    const settled = await publishUntilAcked(chains, clients, batches)
    const elapsed_ms = performance.now() - start_ms
    if (settled !== RECORDS) throw new Error(`only ${settled} of ${RECORDS} records settled`)
    const verification = await operator.ok('GET', '/ledger/verify')
    if (verification.ok !== true) throw new Error('ledger invariants broken after the load')
    const settledPerSecond = RECORDS / (elapsed_ms / 1000)
    return [
      { name: 'hub_records_settled', value: RECORDS, unit: 'records' },
      { name: 'hub_settled_per_s_end_to_end', value: Math.round(settledPerSecond), unit: 'records/s' },
      { name: 'hub_ed25519_verify_node_per_s_one_core_same_run', value: Math.round(verifyRate), unit: 'verifications/s' },
      { name: 'hub_settled_to_verify_ratio', value: round(settledPerSecond / verifyRate, 3), unit: 'ratio' },
    ]
  } finally {
    await Promise.all(clients.map(client => client.endAsync(true)))
    await hub.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

type RunningHub = Awaited<ReturnType<typeof startHub>>

/** One owner and one provisioned gateway chain per gateway of the bench. */
async function provisionChains(hub: RunningHub, operator: HubApi): Promise<SimulatedGatewayChain[]> {
  const users = new UserStore(hub.context.db)
  const chains: SimulatedGatewayChain[] = []
  for (let g = 0; g < GATEWAYS; g++) {
    const ownerId = `bench-owner-${g}`
    users.insert({
      id: ownerId, email: `owner${g}@bench.example`, emailVerifiedAtMs: null, fullName: 'Bench Owner', roles: ['owner', 'customer'],
      passwordHash: 'unused', createdAtMs: hub.context.clock.now_ms(),
    })
    const eui = `70B3D57EBE0000${g.toString(16).padStart(2, '0').toUpperCase()}`
    const gateway = await provisionGateway(operator, eui, ownerId)
    chains.push(new SimulatedGatewayChain(eui, gateway.keys))
  }
  return chains
}

/**
 * Each gateway's customers pay there: records of every gateway, every voucher, all valid. Made
 * with the hub's own clock and randomness (the system's here), as the records it checks are.
 */
async function payAtEachGateway(
  operator: HubApi, chains: readonly SimulatedGatewayChain[], { clock, random }: RunningHub['context'],
): Promise<void> {
  const perGateway = RECORDS / GATEWAYS
  for (const chain of chains) {
    const customers = []
    for (let c = 0; c < CUSTOMERS_PER_GATEWAY; c++) {
      customers.push(await customerWithVoucher(operator, `c${c}-${chain.eui}@bench.example`, CURRENCY, '100000000', '10000000'))
    }
    for (let i = 0; i < perGateway; i++) {
      const customer = customers[i % customers.length]!
      chain.append(customer.phone.authorize({
        gatewayEui: chain.eui, amountMinor: 100 + (i % 50), currency: CURRENCY, nonce: random(16),
        timeMs: clock.now_ms(), merchantName: 'Bench',
      }).authorization)
    }
  }
}

/** A chain's records as encoded batches of at most BATCH_RECORDS, in order. */
function batchesOf(chain: SimulatedGatewayChain): Uint8Array[] {
  const encoded: Uint8Array[] = []
  for (let from = 1; from <= chain.position.gatewaySeq; from += BATCH_RECORDS) {
    encoded.push(chain.batch(from, Math.min(chain.position.gatewaySeq, from + BATCH_RECORDS - 1)))
  }
  return encoded
}

/** A load client for the gateway, connected with its password and subscribed to its acks. */
async function connectGateway(hub: RunningHub, chain: SimulatedGatewayChain): Promise<MqttClient> {
  const { clock, random } = hub.context
  const client = mqtt.connect(hub.mqttUrl!, {
    clientId: chain.eui, username: chain.eui, reconnectPeriod: 0,
    password: makeGatewayPassword(chain.eui, chain.keys.secretKey, clock.now_ms(), random, nodeEd25519),
  })
  await new Promise<void>((resolve, reject) => { client.once('connect', () => resolve()); client.once('error', reject) })
  await client.subscribeAsync(gatewayTopic(chain.eui, 'acks'), { qos: 1 })
  return client
}

/** Publishes every gateway's batches at once; resolves with the records settled once each has all its acks. */
async function publishUntilAcked(
  chains: readonly SimulatedGatewayChain[], clients: readonly MqttClient[], batches: readonly Uint8Array[][],
): Promise<number> {
  let settled = 0
  await Promise.all(chains.map((chain, g) => new Promise<void>((resolve, reject) => {
    const client = clients[g]!
    let acked = 0
    client.on('message', (_topic, payload) => {
      const ack = ackCodec.decode(new Uint8Array(payload))
      settled += ack.entries.filter(e => e.outcome === AckOutcome.Settled).length
      if (++acked === batches[g]!.length) resolve()
    })
    for (const batch of batches[g]!) {
      client.publishAsync(gatewayTopic(chain.eui, 'records'), Buffer.from(batch), { qos: 1 }).catch(reject)
    }
  })))
  return settled
}
