// Bringing a fleet to life over the hub's REST API, the way a deployment does it: the merchant
// signs up (the operator vouches for their email) and orders the gateways, the operator validates
// the order and issues provisioning tokens, each gateway runs its own init and provision; customers
// sign up, are cashed in, bind a phone and take a voucher.

import { join } from 'node:path'
import { systemClock, systemRandom } from '../../protocol/clock'
import { formatAmount } from '../../protocol/money'
import { nodeEd25519 } from '../../protocol/signature/node'
import { generateEui, initTerminal } from '../../terminal/init'
import { provision } from '../../terminal/provision'
import type { TerminalStore } from '../../terminal/store/store'
import { customerWithVoucher, HubApi, signUpVouched, type SimulatedCustomer } from '../hub-api'
import type { LinkInspector } from '../link-proxy'
import type { SeededRandom } from './seeded-random'
import { attachTerminal, type SimulatedTerminal } from './terminal'

const MERCHANT_PASSWORD = 'merchant password 1'
const GATEWAY_PRICE = '25000'
/** Sync timeouts far above any loopback round trip, so a loaded machine never turns an online payment into an offline one. */
const ACK_TIMEOUT_MS = 60_000
const ONLINE_TIMEOUT_MS = 60_000

export interface EnrollNames {
  /** Makes e-mail addresses unique on a hub that already holds other runs; empty on a fresh hub. */
  readonly tag: string
}

/** A gateway initialized in its own data directory and provisioned at the hub; the caller closes the store. */
export interface ProvisionedGateway {
  readonly eui: string
  readonly dataDir: string
  readonly store: TerminalStore
}

/** The fleet's merchant's login: one shop, whatever its number of counters. */
export function merchantLogin(names: EnrollNames): { email: string; password: string } {
  return { email: `merchant${names.tag}@sim.payall.example`, password: MERCHANT_PASSWORD }
}

/**
 * The fleet's merchant (one shop, `count` counters): signs up, orders the gateways, the operator
 * validates; then each gateway is initialized in `terminalsDir` and provisioned with its token.
 */
export async function orderAndProvision(
  operator: HubApi, count: number, terminalsDir: string, identities: SeededRandom, names: EnrollNames,
): Promise<ProvisionedGateway[]> {
  const { email, password } = merchantLogin(names)
  await signUpVouched(operator, { fullName: 'Simulated Merchant', email, password })
  return provisionOrder(operator, await new HubApi(operator.baseUrl).as(email, password), count, terminalsDir, identities)
}

/**
 * A signed-in `merchant` orders `count` new gateways and the operator validates the order (the
 * merchant becomes their owner); then each is initialized in `terminalsDir` and provisioned.
 */
export async function provisionOrder(
  operator: HubApi, merchant: HubApi, count: number, terminalsDir: string, identities: SeededRandom,
): Promise<ProvisionedGateway[]> {
  const euis: string[] = []
  const gatewayIds: string[] = []
  for (let index = 0; index < count; index++) {
    const eui = generateEui(length => identities.bytes(length))
    const gateway = await operator.ok('POST', '/gateways', { name: `Simulated counter ${index + 1}`, type: 'pi-nfc', eui, price: GATEWAY_PRICE })
    euis.push(eui)
    gatewayIds.push(gateway.id)
  }
  const order = await merchant.ok('POST', '/orders', {
    items: gatewayIds.map(gatewayId => ({ gatewayId, quantity: 1 })), shippingAddress: 'Simulated shop, loopback street',
  })
  await operator.ok('POST', `/orders/${order.id}/validate`)

  const gateways: ProvisionedGateway[] = []
  try {
    for (const [index, eui] of euis.entries()) {
      const { token } = await operator.ok('POST', `/gateways/${gatewayIds[index]}/provisioning-token`)
      const dataDir = join(terminalsDir, eui)
      const store = initTerminal(dataDir, eui, { clock: systemClock, random: length => identities.bytes(length) })
      gateways.push({ eui, dataDir, store })
      await provision(store, operator.baseUrl, token, { fetch, clock: systemClock, ed25519: nodeEd25519 })
    }
  } catch (error) {
    for (const gateway of gateways) gateway.store.close()
    throw error
  }
  return gateways
}

/**
 * `orderAndProvision`, then each gateway's runtime, with its link through a relay the fleet cuts and
 * restores (and `inspector`, given, reads).
 */
export async function enrollTerminals(
  operator: HubApi, count: number, terminalsDir: string, identities: SeededRandom, names: EnrollNames,
  nonces: (terminal: number) => SeededRandom, inspector?: (terminal: number) => LinkInspector,
): Promise<SimulatedTerminal[]> {
  return startTerminals(await orderAndProvision(operator, count, terminalsDir, identities, names), nonces, inspector)
}

/** Each provisioned gateway's runtime, its link down until `restore()`; on failure every store is closed. */
export async function startTerminals(
  gateways: readonly ProvisionedGateway[], nonces: (terminal: number) => SeededRandom, inspector?: (terminal: number) => LinkInspector,
): Promise<SimulatedTerminal[]> {
  const terminals: SimulatedTerminal[] = []
  try {
    for (const [index, { store, dataDir }] of gateways.entries()) {
      const stream = nonces(index)
      terminals.push(await attachTerminal(store, dataDir, {
        random: length => stream.bytes(length),
        // MQTT passwords and correlation ids are not part of any outcome: they stay truly random.
        syncOptions: { random: systemRandom, ackTimeoutMs: ACK_TIMEOUT_MS, onlineTimeoutMs: ONLINE_TIMEOUT_MS },
        ...(inspector !== undefined && { inspector: inspector(index) }),
      }))
    }
  } catch (error) {
    await Promise.all(terminals.map(terminal => terminal.shutDown()))
    for (const { store } of gateways.slice(terminals.length)) store.close()
    throw error
  }
  return terminals
}

/** Customer `index`, cashed in with exactly `voucherMinor` and holding a voucher of that much. */
export function enrollCustomer(
  operator: HubApi, index: number, currency: string, voucher_minor: number, identities: SeededRandom, names: EnrollNames,
): Promise<SimulatedCustomer> {
  const amount = formatAmount(voucher_minor, currency)
  return customerWithVoucher(
    operator, `customer${index + 1}${names.tag}@sim.payall.example`, currency, amount, amount, length => identities.bytes(length),
  )
}
