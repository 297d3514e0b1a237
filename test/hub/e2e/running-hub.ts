// A real hub process-in-a-test (startHub: HTTP on a socket, the embedded MQTT broker, SQLite on
// disk) and the REST steps that bring a gateway and a customer to life, as a deployment would.

import { randomBytes } from 'node:crypto'
import mqtt, { type MqttClient } from 'mqtt'
import type { KeyPair } from '../../../protocol/signature/ed25519'
import { nodeEd25519 } from '../../../protocol/signature/node'
import { gatewayTopic, REVOCATIONS_TOPIC } from '../../../protocol/topics'
import { parseConfig, type HubConfig } from '../../../hub/config'
import { makeGatewayPassword } from '../../../hub/mqtt/gateway-password'
import type { RunningHub } from '../../../hub/server'
import { addUser, TEST_SCRYPT_COST } from '../http/fixtures'
import { hubStoreConfig } from '../../helpers/hub-store'
import {
  customerWithVoucher as simulatedCustomer, HubApi, provisionGateway as provisionSimulatedGateway, type ProvisionedGateway,
} from '../../../simulator/hub-api'

export const OPERATOR = { email: 'ops@payall.example', password: 'operator password 1' }
export const CURRENCY = 'XOF'

export function hubConfig(dataDir: string, overrides: Partial<HubConfig> = {}): HubConfig {
  return {
    ...parseConfig([], { PAYALL_OPERATOR_EMAIL: OPERATOR.email, PAYALL_OPERATOR_PASSWORD: OPERATOR.password }),
    dataDir, httpHost: '127.0.0.1', httpPort: 0, mqttHost: '127.0.0.1', mqttPort: 0, logLevel: 'silent',
    // Every sign-in hashes; at the production cost the suite's hubs would spend minutes on it.
    passwordCost: TEST_SCRYPT_COST,
    ...hubStoreConfig(dataDir), ...overrides,
  }
}

export { HubApi as Rest }

export interface ProvisionedTestGateway extends ProvisionedGateway {
  ownerId: string
}

/** An owner (created in the hub's database: no REST creates owners before orders exist) and a provisioned gateway of theirs. */
export async function provisionGateway(hub: RunningHub, operator: HubApi, eui: string, ownerEmail: string): Promise<ProvisionedTestGateway> {
  const ownerId = await addUser(hub.context, { email: ownerEmail, password: 'owner password 1', role: 'owner' })
  return { ...(await provisionSimulatedGateway(operator, eui, ownerId)), ownerId }
}

export async function customerWithVoucher(operator: HubApi, email: string, cashIn_minor: number, voucherAmount: string) {
  return simulatedCustomer(operator, email, CURRENCY, String(cashIn_minor), voucherAmount)
}

/** A gateway's MQTT connection, authenticated the way a provisioned terminal does. */
export async function connectGateway(url: string, eui: string, keys: KeyPair, password?: string): Promise<MqttClient> {
  const client = mqtt.connect(url, {
    clientId: eui,
    username: eui,
    password: password ?? makeGatewayPassword(eui, keys.secretKey, Date.now(), n => randomBytes(n), nodeEd25519),
    reconnectPeriod: 0,
    clean: true,
  })
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve())
    client.once('error', reject)
    client.once('close', () => reject(new Error('connection closed before CONNACK')))
  })
  return client
}

/** Resolves with the next message on `topic`. */
export function nextMessage(client: MqttClient, topic: string): Promise<Buffer> {
  return new Promise(resolve => {
    const onMessage = (received: string, payload: Buffer) => {
      if (received !== topic) return
      client.off('message', onMessage)
      resolve(payload)
    }
    client.on('message', onMessage)
  })
}

/** The QoS the broker granted per filter (128: refused). mqtt.js rejects on a refusal; its packet says what was granted. */
export async function subscribe(client: MqttClient, topic: string): Promise<number[]> {
  try {
    const granted = await client.subscribeAsync(topic, { qos: 1 })
    return granted.map(g => g.qos)
  } catch (error) {
    const granted = (error as { packet?: { granted?: number[] } }).packet?.granted
    if (granted === undefined) throw error
    return granted
  }
}

export { gatewayTopic, REVOCATIONS_TOPIC }
