// The hub's REST API as the simulator (and the tests) drive it: a small fetch client and the
// steps that bring a gateway and a customer to life, the way operators, owners and phones do.

import { fromBase64, toBase64 } from '../protocol/bytes'
import { systemClock, systemRandom, type RandomBytes } from '../protocol/clock'
import { CodedError } from '../protocol/errors'
import { voucherCodec, type Voucher } from '../protocol/messages/voucher'
import type { KeyPair } from '../protocol/signature/ed25519'
import { nodeEd25519 } from '../protocol/signature/node'
import { requireAcceptablePublicKey } from '../protocol/signature/public-key'
import { VirtualPhone } from './phone'

/** The hub answered with an error; `code` is the one in its reply, whatever the hub's version calls it. */
class HubApiError extends CodedError<string> {
  override readonly name = 'HubApiError'
  constructor(readonly status: number, code: string, message: string) {
    super(code, message)
  }
}

/**
 * A reply body as the hub sent it. The hub's JSON schemas already fixed its shape; the simulator reads the
 * fields it needs by name, as a script would.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
export type HubJson = any

/** A request the hub refused as DATABASE_BUSY is tried this many times in all, waiting its Retry-After (at most BUSY_WAIT_MAX_S) between. */
const BUSY_ATTEMPTS_MAX = 5
const BUSY_WAIT_MAX_S = 5
/** A connection refused is tried again this often, this many times in all: 30 s, a hub's restart on a loaded machine. */
const REFUSED_WAIT_MS = 250
const REFUSED_ATTEMPTS_MAX = 120

function wait(ms: number): Promise<void> {
  return new Promise(resolve => systemClock.setTimer(resolve, ms))
}

export class HubApi {
  constructor(readonly baseUrl: string, private readonly token?: string) {}

  /**
   * One request; one the hub refused as DATABASE_BUSY (nothing changed) is sent again after its
   * Retry-After, as an app does, a few times at most.
   */
  async call(method: string, path: string, body?: unknown): Promise<{ status: number; json: HubJson }> {
    for (let attempt = 1; ; attempt++) {
      const { status, json, retryAfter_s } = await this.sent(method, path, body)
      if (status !== 503 || json?.error?.code !== 'DATABASE_BUSY' || attempt === BUSY_ATTEMPTS_MAX) return { status, json }
      await wait(Math.min(retryAfter_s, BUSY_WAIT_MAX_S) * 1000)
    }
  }

  /**
   * The request, sent again while the hub refuses connections (a hub restarting, as after a kill, has not
   * opened its port yet): such a request never reached it, so any method may be sent again.
   */
  private async sent(method: string, path: string, body?: unknown): Promise<{ status: number; json: HubJson; retryAfter_s: number }> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once(method, path, body)
      } catch (error) {
        const refused = error instanceof TypeError && (error.cause as { code?: unknown } | undefined)?.code === 'ECONNREFUSED'
        if (!refused || attempt === REFUSED_ATTEMPTS_MAX) throw error
        await wait(REFUSED_WAIT_MS)
      }
    }
  }

  private async once(method: string, path: string, body?: unknown): Promise<{ status: number; json: HubJson; retryAfter_s: number }> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(this.token === undefined ? {} : { authorization: `Bearer ${this.token}` }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await response.text()
    const retryAfter_s = Number(response.headers.get('retry-after') ?? 1)
    return { status: response.status, json: text === '' ? null : JSON.parse(text), retryAfter_s: Number.isFinite(retryAfter_s) ? retryAfter_s : 1 }
  }

  /** Like call, but a status of 300 or more throws a HubApiError with the hub's error code. */
  async ok(method: string, path: string, body?: unknown): Promise<HubJson> {
    const { status, json } = await this.call(method, path, body)
    if (status >= 300) {
      throw new HubApiError(status, json?.error?.code ?? 'UNKNOWN', `${method} ${path} → ${status} ${JSON.stringify(json)}`)
    }
    return json
  }

  async as(email: string, password: string): Promise<HubApi> {
    const { token } = await this.ok('POST', '/users/login', { email, password })
    return new HubApi(this.baseUrl, token)
  }
}

export interface ProvisionedGateway {
  id: string
  eui: string
  keys: KeyPair
  hubPublicKey: Uint8Array
  mqttUrl: string
  /** Its login on an external broker whose logins the hub keeps (PAYALL_MQTT_LOGINS=dynsec); absent with the hub's own broker. */
  mqttPassword?: string
}

/** Operator steps for one gateway: catalog entry, assignment to its owner, token; then the gateway provisions itself. */
export async function provisionGateway(operator: HubApi, eui: string, ownerUserId: string, keys: KeyPair = nodeEd25519.keyPairFromSeed(systemRandom(32))): Promise<ProvisionedGateway> {
  const gateway = await operator.ok('POST', '/gateways', { name: `Counter ${eui}`, type: 'pi-nfc', eui, price: '25000' })
  await operator.ok('POST', `/gateways/${gateway.id}/assign`, { ownerUserId })
  const { token } = await operator.ok('POST', `/gateways/${gateway.id}/provisioning-token`)
  return provisionWithToken(operator.baseUrl, { id: gateway.id, eui, token }, keys)
}

/** The gateway provisions itself with the one-time token an operator issued it (one by one, or in bulk). */
export async function provisionWithToken(
  hubUrl: string, { id, eui, token }: { id: string; eui: string; token: string }, keys: KeyPair = nodeEd25519.keyPairFromSeed(systemRandom(32)),
): Promise<ProvisionedGateway> {
  const provisioned = await new HubApi(hubUrl).ok('POST', '/provision', { eui, token, publicKey: toBase64(keys.publicKey) })
  const hubPublicKey = fromBase64(provisioned.hubPublicKey)
  requireAcceptablePublicKey(hubPublicKey, 'the hub key in the provisioning reply')
  return {
    id, eui, keys, hubPublicKey, mqttUrl: provisioned.mqtt.url,
    ...(typeof provisioned.mqtt.password === 'string' && { mqttPassword: provisioned.mqtt.password }),
  }
}

/**
 * Signs up by email, and the operator vouches for the email (POST /admin/users/{id}/verify-email) as it would for a
 * customer who showed it theirs: an account whose email nobody proved may not move money or order.
 */
export async function signUpVouched(operator: HubApi, account: { fullName: string; email: string; password: string }): Promise<string> {
  const user = await new HubApi(operator.baseUrl).ok('POST', '/users/sign-up', account)
  await operator.ok('POST', `/admin/users/${user.id}/verify-email`)
  return user.id
}

/** A customer with a bound phone holding a voucher, however they were enrolled. */
export interface EnrolledCustomer {
  userId: string
  phone: VirtualPhone
  voucher: Voucher
  wallet: string
}

/** An enrolled customer who signed up with a password, signed in. */
export interface SimulatedCustomer extends EnrolledCustomer {
  api: HubApi
}

/**
 * A customer signs up (the operator vouches for the email: nobody reads a simulated mailbox), opens a wallet, is
 * cashed in by the operator, binds a phone and takes a voucher. `random` makes the phone's key and IMEI (a seeded
 * stream makes them reproducible).
 */
export async function customerWithVoucher(
  operator: HubApi, email: string, currency: string, cashIn: string, voucherAmount: string,
  random: RandomBytes = systemRandom,
): Promise<SimulatedCustomer> {
  const password = 'customer password 1'
  await signUpVouched(operator, { fullName: 'Simulated Customer', email, password })
  return equipCustomer(operator, await new HubApi(operator.baseUrl).as(email, password), currency, cashIn, voucherAmount, random)
}

/** A signed-in customer opens a wallet, is cashed in by the operator, binds a phone and takes a voucher. */
export async function equipCustomer(
  operator: HubApi, api: HubApi, currency: string, cashIn: string, voucherAmount: string,
  random: RandomBytes = systemRandom,
): Promise<SimulatedCustomer> {
  const wallet = await api.ok('POST', '/users/create-account', { currency })
  await operator.ok('POST', '/ledger/cash-in', { accountId: wallet.id, amount: cashIn, currency, idempotencyKey: `seed-${wallet.id}` })
  const keys = nodeEd25519.keyPairFromSeed(random(32))
  const imei = `35${Buffer.from(random(6)).toString('hex')}`
  await api.ok('POST', '/api/auth/device/binding', { imei, publicKey: toBase64(keys.publicKey), model: 'Simulated' })
  const issued = await api.ok('POST', '/api/auth/device/voucher', { imei, amount: voucherAmount, currency })
  const phone = new VirtualPhone(keys, nodeEd25519)
  const voucher = voucherCodec.decode(fromBase64(issued.voucher))
  phone.addVoucher(voucher)
  return { api, userId: wallet.userId, phone, voucher, wallet: wallet.id }
}
