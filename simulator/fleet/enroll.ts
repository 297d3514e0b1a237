// Bringing a fleet to life over the hub's REST API, the way a deployment does it: the merchant
// signs up (the operator vouches for their email) and orders the gateways, the operator validates
// the order and issues provisioning tokens, each gateway runs its own init and provision; customers
// sign up, are cashed in, bind a phone and take a voucher. A large fleet goes the way a large
// rollout does: the operator provisions the gateways and enrolls the customers through the bulk
// routes, a chunk of up to BULK_CHUNK_ITEMS at a time, each chunk under its own idempotency key.

import { join } from 'node:path'
import { fromBase64, toBase64 } from '../../protocol/bytes'
import { systemClock, systemRandom } from '../../protocol/clock'
import { voucherCodec } from '../../protocol/messages/voucher'
import { formatAmount } from '../../protocol/money'
import { nodeEd25519 } from '../../protocol/signature/node'
import { generateEui, initTerminal } from '../../terminal/init'
import { provision } from '../../terminal/provision'
import type { TerminalStore } from '../../terminal/store/store'
import { customerWithVoucher, HubApi, signUpVouched, type EnrolledCustomer, type SimulatedCustomer } from '../hub-api'
import { VirtualPhone } from '../phone'
import type { SeededRandom } from './seeded-random'
import { attachTerminal, type AttachOptions, type SimulatedTerminal } from './terminal'

const MERCHANT_PASSWORD = 'merchant password 1'
const GATEWAY_PRICE = '25000'
/** Sync timeouts far above any loopback round trip, so a loaded machine never turns an online payment into an offline one. */
const ACK_TIMEOUT_MS = 60_000
const ONLINE_TIMEOUT_MS = 60_000
/** A connection attempt's wait for the broker: a hub busy with a thousand gateways (in this process) answers slower than the 200 ms backoff. */
const CONNECT_TIMEOUT_MS = 10_000

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

/** Items per request to the hub's bulk routes: their most (hub BULK_ITEMS_MAX). */
const BULK_CHUNK_ITEMS = 1_000

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
 * The fleet's merchant (one shop, `count` counters) signs up; the operator provisions the gateways for
 * them through POST /admin/bulk/gateways, a chunk at a time; then each gateway is initialized in
 * `terminalsDir` and provisions itself with its token. Any number of gateways, no order's bound.
 */
async function provisionInBulk(
  operator: HubApi, count: number, terminalsDir: string, identities: SeededRandom, names: EnrollNames,
): Promise<ProvisionedGateway[]> {
  const { email, password } = merchantLogin(names)
  const merchantUserId = await signUpVouched(operator, { fullName: 'Simulated Merchant', email, password })
  const tokens: Array<{ eui: string; token: string }> = []
  for (let from = 0; from < count; from += BULK_CHUNK_ITEMS) {
    const items = []
    for (let index = from; index < Math.min(count, from + BULK_CHUNK_ITEMS); index++) {
      items.push({ name: `Simulated counter ${index + 1}`, type: 'pi-nfc', eui: generateEui(length => identities.bytes(length)), price: GATEWAY_PRICE })
    }
    const { gateways } = await operator.ok('POST', '/admin/bulk/gateways', {
      idempotencyKey: `sim${names.tag}-gateways-${from}`, ownerUserId: merchantUserId, items,
    })
    for (const { eui, token } of gateways as Array<{ eui: string; token: string }>) tokens.push({ eui, token })
  }
  return initAndProvision(operator.baseUrl, tokens, terminalsDir, identities)
}

/** Each gateway initialized in its own folder of `terminalsDir`, then provisioned with its token; on failure every store is closed. */
async function initAndProvision(
  hubUrl: string, tokens: ReadonlyArray<{ eui: string; token: string }>, terminalsDir: string, identities: SeededRandom,
): Promise<ProvisionedGateway[]> {
  const gateways: ProvisionedGateway[] = []
  try {
    for (const { eui, token } of tokens) {
      const dataDir = join(terminalsDir, eui)
      const store = initTerminal(dataDir, eui, { clock: systemClock, random: length => identities.bytes(length) })
      gateways.push({ eui, dataDir, store })
      await provision(store, hubUrl, token, { fetch, clock: systemClock, ed25519: nodeEd25519 })
    }
  } catch (error) {
    for (const gateway of gateways) gateway.store.close()
    throw error
  }
  return gateways
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

  const tokens: Array<{ eui: string; token: string }> = []
  for (const [index, eui] of euis.entries()) {
    const { token } = await operator.ok('POST', `/gateways/${gatewayIds[index]}/provisioning-token`)
    tokens.push({ eui, token })
  }
  return initAndProvision(operator.baseUrl, tokens, terminalsDir, identities)
}

/** What a fault simulation gives each gateway: an inspector on its link, its clock, a look at each store it opens. */
type FaultedAttach = (terminal: number) => Pick<AttachOptions, 'inspector' | 'clock' | 'opened' | 'lora'> & { readonly ackTimeoutMs: number }

/**
 * `orderAndProvision`, then each gateway's runtime, with its link through a relay the fleet cuts and
 * restores (and `faulted`, given, reads, with the clock it gives).
 */
export async function enrollTerminals(
  operator: HubApi, count: number, terminalsDir: string, identities: SeededRandom, names: EnrollNames,
  nonces: (terminal: number) => SeededRandom, faulted?: FaultedAttach,
): Promise<SimulatedTerminal[]> {
  return startTerminals(await orderAndProvision(operator, count, terminalsDir, identities, names), nonces, faulted)
}

/**
 * A gateway whose link is cut tries again at most this often. Each try costs a connection the relay takes and
 * resets: a thousand gateways trying every 200 ms (attach's default, which keeps a small fleet's restores quick)
 * take the event loop the hub shares with them, and the restores time out.
 */
const LARGE_FLEET_RECONNECT_MAX_MS = 1_000

/**
 * Each provisioned gateway's runtime, its link down until `restore()`; on failure every store is closed. A large
 * fleet (`large`) backs off longer while cut (LARGE_FLEET_RECONNECT_MAX_MS).
 */
export async function startTerminals(
  gateways: readonly ProvisionedGateway[], nonces: (terminal: number) => SeededRandom, faulted?: FaultedAttach,
  large = false,
): Promise<SimulatedTerminal[]> {
  const terminals: SimulatedTerminal[] = []
  try {
    for (const [index, { store, dataDir }] of gateways.entries()) {
      const stream = nonces(index)
      const { ackTimeoutMs = ACK_TIMEOUT_MS, ...faults } = faulted?.(index) ?? {}
      terminals.push(await attachTerminal(store, dataDir, {
        random: length => stream.bytes(length),
        // MQTT passwords and correlation ids are not part of any outcome: they stay truly random.
        syncOptions: {
          random: systemRandom, ackTimeoutMs, onlineTimeoutMs: ONLINE_TIMEOUT_MS, connectTimeoutMs: CONNECT_TIMEOUT_MS,
          ...(large && { reconnectMaxMs: LARGE_FLEET_RECONNECT_MAX_MS }),
        },
        ...faults,
      }))
    }
  } catch (error) {
    await Promise.all(terminals.map(terminal => terminal.shutDown()))
    for (const { store } of gateways.slice(terminals.length)) store.close()
    throw error
  }
  return terminals
}

/** The fleet's `count` gateways provisioned: through the operator's bulk route (`inBulk`), or by one merchant order. */
export function provisionFleet(
  operator: HubApi, inBulk: boolean, count: number, terminalsDir: string, identities: SeededRandom, names: EnrollNames,
): Promise<ProvisionedGateway[]> {
  return inBulk
    ? provisionInBulk(operator, count, terminalsDir, identities, names)
    : orderAndProvision(operator, count, terminalsDir, identities, names)
}

/**
 * Customers 0 … voucher_minor.length − 1, each cashed in with exactly its voucher: enrolled by the operator in bulk
 * (`inBulk`: no login, they have no password yet), or each signing up and signed in.
 */
export async function enrollCustomers(
  operator: HubApi, inBulk: boolean, currency: string, voucher_minor: readonly number[], identities: (index: number) => SeededRandom,
  names: EnrollNames,
): Promise<Array<EnrolledCustomer & Partial<Pick<SimulatedCustomer, 'api'>>>> {
  if (inBulk) return enrollCustomersInBulk(operator, currency, voucher_minor, identities, names)
  const customers: SimulatedCustomer[] = []
  for (const [index, minor] of voucher_minor.entries()) customers.push(await enrollCustomer(operator, index, currency, minor, identities(index), names))
  return customers
}

/** Customer `index`, cashed in with exactly `voucherMinor` and holding a voucher of that much. */
export function enrollCustomer(
  operator: HubApi, index: number, currency: string, voucher_minor: number, identities: SeededRandom, names: EnrollNames,
): Promise<SimulatedCustomer> {
  const amount = formatAmount(voucher_minor, currency)
  return customerWithVoucher(
    operator, customerEmail(index, names), currency, amount, amount, length => identities.bytes(length),
  )
}

/**
 * Customers 0 … voucher_minor.length − 1 enrolled through POST /admin/bulk/customers, a chunk at a time: each
 * cashed in with exactly its voucher, its phone's key and IMEI drawn as `enrollCustomer` draws them (from
 * `identities(index)`). They have no password, so no login: the operator reads what the hub holds of them.
 */
async function enrollCustomersInBulk(
  operator: HubApi, currency: string, voucher_minor: readonly number[], identities: (index: number) => SeededRandom, names: EnrollNames,
): Promise<EnrolledCustomer[]> {
  const customers: EnrolledCustomer[] = []
  for (let from = 0; from < voucher_minor.length; from += BULK_CHUNK_ITEMS) {
    const phones: VirtualPhone[] = []
    const items = []
    for (let index = from; index < Math.min(voucher_minor.length, from + BULK_CHUNK_ITEMS); index++) {
      const random = identities(index)
      const keys = nodeEd25519.keyPairFromSeed(random.bytes(32))
      const imei = `35${Buffer.from(random.bytes(6)).toString('hex')}`
      const amount = formatAmount(voucher_minor[index]!, currency)
      phones.push(new VirtualPhone(keys, nodeEd25519))
      items.push({
        fullName: 'Simulated Customer', email: customerEmail(index, names), cashIn: amount, voucherAmount: amount,
        device: { imei, publicKey: toBase64(keys.publicKey), model: 'Simulated' },
      })
    }
    const enrolled = await operator.ok('POST', '/admin/bulk/customers', { idempotencyKey: `sim${names.tag}-customers-${from}`, currency, items })
    for (const [offset, customer] of (enrolled.customers as Array<{ userId: string; walletAccountId: string; voucher: string }>).entries()) {
      const voucher = voucherCodec.decode(fromBase64(customer.voucher))
      const phone = phones[offset]!
      phone.addVoucher(voucher)
      customers.push({ userId: customer.userId, phone, voucher, wallet: customer.walletAccountId })
    }
  }
  return customers
}

function customerEmail(index: number, names: EnrollNames): string {
  return `customer${index + 1}${names.tag}@sim.payall.example`
}
