// Shared set-up for the gateway route tests: a test hub with an operator, two owners and a
// customer logged in, and short-hands for the steps a gateway goes through (add, assign, provision).

import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { sha256, toBase64 } from '../../../protocol/bytes'
import type { KeyPair } from '../../../protocol/signature/ed25519'
import { nodeEd25519 } from '../../../protocol/signature/node'
import type { Role } from '../../../hub/http/roles'
import { addUser, login, testHub, type TestHub } from '../http/fixtures'

export const PASSWORD = 'a long and good password'
export const EUI = '70B3D57ED0001A2B'

interface Caller {
  id: string
  token: string
  headers: { authorization: string }
}

export interface GatewayHub extends TestHub {
  operator: Caller
  owner: Caller
  otherOwner: Caller
  customer: Caller
}

interface Tap {
  testdir(): string
  teardown(fn: () => unknown): void
}

export async function gatewayHub(t: Tap, options: Parameters<typeof testHub>[1] = {}): Promise<GatewayHub> {
  const hub = await testHub(t, options)
  const caller = async (email: string, role: Role): Promise<Caller> => {
    const id = await addUser(hub.context, { email, password: PASSWORD, role })
    const token: string = (await login(hub.app, email, PASSWORD)).json().token
    return { id, token, headers: { authorization: `Bearer ${token}` } }
  }
  return {
    ...hub,
    operator: await caller('ops@payall.example', 'operator'),
    owner: await caller('awa@shop.example', 'owner'),
    otherOwner: await caller('moussa@shop.example', 'owner'),
    customer: await caller('fatou@phone.example', 'customer'),
  }
}

export function gatewayKeys(name = 'gateway'): KeyPair {
  return nodeEd25519.keyPairFromSeed(sha256(Buffer.from(name)))
}

/** POST /gateways as the operator; throws unless 201. */
export async function addGateway(
  hub: GatewayHub, body: Record<string, unknown> = {},
): Promise<{ id: string; eui: string; [key: string]: unknown }> {
  const response = await hub.app.inject({
    method: 'POST', url: '/gateways', headers: hub.operator.headers,
    payload: { name: 'Counter 1', type: 'pi-nfc', eui: EUI, price: '25000', ...body },
  })
  return expectStatus(response, 201).json()
}

/** Adds a gateway and assigns it to `hub.owner`. */
export async function assignedGateway(hub: GatewayHub, body: Record<string, unknown> = {}) {
  const gateway = await addGateway(hub, body)
  expectStatus(await hub.app.inject({
    method: 'POST', url: `/gateways/${gateway.id}/assign`, headers: hub.operator.headers, payload: { ownerUserId: hub.owner.id },
  }), 200)
  return gateway
}

export async function provisioningToken(hub: GatewayHub, gatewayId: string): Promise<string> {
  const response = await hub.app.inject({
    method: 'POST', url: `/gateways/${gatewayId}/provisioning-token`, headers: hub.operator.headers,
  })
  return expectStatus(response, 201).json().token
}

export function provision(app: FastifyInstance, eui: string, token: string, keys: KeyPair = gatewayKeys()) {
  return app.inject({ method: 'POST', url: '/provision', payload: { eui, token, publicKey: toBase64(keys.publicKey) } })
}

/** Adds, assigns and provisions a gateway for `hub.owner`; returns its id and the provisioning reply. */
export async function provisionedGateway(hub: GatewayHub, body: Record<string, unknown> = {}) {
  const gateway = await assignedGateway(hub, body)
  const token = await provisioningToken(hub, gateway.id)
  const reply = expectStatus(await provision(hub.app, gateway.eui, token), 200).json()
  return { id: gateway.id, eui: gateway.eui, reply }
}

export function expectStatus(response: LightMyRequestResponse, status: number): LightMyRequestResponse {
  if (response.statusCode !== status) throw new Error(`expected ${status}, got ${response.statusCode}: ${response.body}`)
  return response
}
