// A real hub process-in-a-test (startHub: HTTP on a socket, the embedded MQTT broker, SQLite on
// disk) and the REST steps that bring a gateway and a customer to life, as a deployment would.

import { randomBytes } from 'node:crypto'
import mqtt, { type MqttClient } from 'mqtt'
import { fromBase64, toBase64 } from '../../../protocol/bytes'
import { voucherCodec, type Voucher } from '../../../protocol/messages/voucher'
import type { KeyPair } from '../../../protocol/signature/ed25519'
import { nodeEd25519 } from '../../../protocol/signature/node'
import { gatewayTopic, REVOCATIONS_TOPIC } from '../../../protocol/topics'
import { parseConfig, type HubConfig } from '../../../hub/config'
import { makeGatewayPassword } from '../../../hub/mqtt/gateway-password'
import { startHub, type RunningHub } from '../../../hub/server'
import { addUser } from '../http/fixtures'
import { VirtualPhone } from '../../../simulator/phone'

export const OPERATOR = { email: 'ops@payall.example', password: 'operator password 1' }
export const CURRENCY = 'XOF'

export function hubConfig(dataDir: string, overrides: Partial<HubConfig> = {}): HubConfig {
  return {
    ...parseConfig([], { PAYALL_OPERATOR_EMAIL: OPERATOR.email, PAYALL_OPERATOR_PASSWORD: OPERATOR.password }),
    dataDir, httpHost: '127.0.0.1', httpPort: 0, mqttHost: '127.0.0.1', mqttPort: 0, logLevel: 'silent', ...overrides,
  }
}

export class Rest {
  constructor(readonly baseUrl: string, private token?: string) {}

  async call(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(this.token === undefined ? {} : { authorization: `Bearer ${this.token}` }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await response.text()
    return { status: response.status, json: text === '' ? null : JSON.parse(text) }
  }

  async ok(method: string, path: string, body?: unknown): Promise<any> {
    const { status, json } = await this.call(method, path, body)
    if (status >= 300) throw new Error(`${method} ${path} → ${status} ${JSON.stringify(json)}`)
    return json
  }

  async as(email: string, password: string): Promise<Rest> {
    const { token } = await this.ok('POST', '/users/login', { email, password })
    return new Rest(this.baseUrl, token)
  }
}

export interface ProvisionedGateway {
  id: string
  eui: string
  keys: KeyPair
  ownerId: string
  hubPublicKey: Uint8Array
  mqttUrl: string
}

export async function provisionGateway(hub: RunningHub, operator: Rest, eui: string, ownerEmail: string): Promise<ProvisionedGateway> {
  const ownerId = await addUser(hub.context, { email: ownerEmail, password: 'owner password 1', role: 'owner' })
  const gateway = await operator.ok('POST', '/gateways', { name: `Counter ${eui}`, type: 'pi-nfc', eui, price: '25000' })
  await operator.ok('POST', `/gateways/${gateway.id}/assign`, { ownerUserId: ownerId })
  const { token } = await operator.ok('POST', `/gateways/${gateway.id}/provisioning-token`)
  const keys = nodeEd25519.keyPairFromSeed(randomBytes(32))
  const anonymous = new Rest(hub.httpUrl)
  const provisioned = await anonymous.ok('POST', '/provision', { eui, token, publicKey: toBase64(keys.publicKey) })
  return { id: gateway.id, eui, keys, ownerId, hubPublicKey: fromBase64(provisioned.hubPublicKey), mqttUrl: provisioned.mqtt.url }
}

export interface Customer {
  rest: Rest
  phone: VirtualPhone
  voucher: Voucher
  wallet: string
}

export async function customerWithVoucher(hub: RunningHub, operator: Rest, email: string, cashInMinor: number, voucherAmount: string): Promise<Customer> {
  const anonymous = new Rest(hub.httpUrl)
  await anonymous.ok('POST', '/users/sign-up', { fullName: 'Fatou Diop', email, password: 'customer password 1' })
  const rest = await anonymous.as(email, 'customer password 1')
  const wallet = await rest.ok('POST', '/users/create-account', { currency: CURRENCY })
  await operator.ok('POST', '/ledger/cash-in', {
    accountId: wallet.id, amount: String(cashInMinor), currency: CURRENCY, idempotencyKey: `seed-${email}`,
  })
  const keys = nodeEd25519.keyPairFromSeed(randomBytes(32))
  const imei = `35${randomBytes(6).toString('hex')}`
  await rest.ok('POST', '/api/auth/device/binding', { imei, publicKey: toBase64(keys.publicKey), model: 'Pixel' })
  const issued = await rest.ok('POST', '/api/auth/device/voucher', { imei, amount: voucherAmount, currency: CURRENCY })
  const phone = new VirtualPhone(keys, nodeEd25519)
  const voucher = voucherCodec.decode(fromBase64(issued.voucher))
  phone.addVoucher(voucher)
  return { rest, phone, voucher, wallet: wallet.id }
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
