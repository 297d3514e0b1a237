// The world the dashboard's browser tests run in: a real hub in this process (HTTP and the embedded
// MQTT broker on free loopback ports, SQLite in the test's folder), seeded the way a deployment is.

import { join } from 'node:path'
import { toHex } from '../../protocol/bytes'
import { formatAmount } from '../../protocol/money'
import { NOTIFY_CONFIG_DEFAULT } from '../../hub/notify/config'
import { startHub, type RunningHub } from '../../hub/server'
import type { Role } from '../../hub/http/roles'
import { equipCustomer, HubApi, type HubJson, type SimulatedCustomer } from '../../simulator/hub-api'
import { provisionOrder, startTerminals } from '../../simulator/fleet/enroll'
import { SeededRandom } from '../../simulator/fleet/seeded-random'
import { payAndSettle, type SimulatedTerminal } from '../../simulator/fleet/terminal'
import { addUser } from '../hub/http/fixtures'
import { hubConfig, OPERATOR } from '../hub/e2e/running-hub'

/** Someone who signs in: the tests know every password. */
export interface Person {
  readonly id: string
  readonly email: string
  readonly password: string
  readonly fullName: string
}

export interface Gateway {
  /** The hub's id of the gateway (what its REST paths take). */
  readonly id: string
  readonly eui: string
  /** The simulated terminal at the counter, connected to the hub's broker. */
  readonly terminal: SimulatedTerminal
}

export interface Customer extends Person {
  /** The wallet's account id, its phone and its voucher. */
  readonly wallet: string
  readonly simulated: SimulatedCustomer
}

/** A payment the hub has settled. */
export interface SettledPayment {
  /** The transfer id, in hex as the hub's replies give it. */
  readonly transferId: string
  readonly gatewayId: string
  readonly eui: string
  readonly customer: Customer
  readonly currency: string
  readonly amountMinor: number
  /** The amount as the API formats it ("1500" in XOF). */
  readonly amount: string
}

export interface World {
  readonly hub: RunningHub
  /** The hub's base URL: the dashboard at `/`, the API under it. */
  readonly url: string
  readonly currency: string
  readonly operator: Person
  /** A customer who ordered both gateways and became their owner (so holds the owner and customer roles). */
  readonly owner: Person
  readonly gateways: readonly Gateway[]
  /** Fatou, and Moussa, whose name carries markup the pages must show as text. */
  readonly customers: readonly Customer[]
  /** A customer taps a gateway's terminal; resolves once the hub has settled the payment. */
  pay(payment?: { customer?: number; gateway?: number; amount_minor?: number }): Promise<SettledPayment>
  /**
   * The REST API signed in as someone, for what a test sets up or checks behind the pages' back. One
   * session per person for the world's life (each sign-in costs a password hash).
   */
  api(person: Pick<Person, 'email' | 'password'>): Promise<HubApi>
  stop(): Promise<void>
}

export interface WorldOptions {
  /** Payments settled before the tests start, alternating customers and gateways, so the pages have data. */
  readonly payments?: number
}

const GATEWAYS = 2
const CASH_IN_MINOR = 100_000
const VOUCHER_MINOR = 50_000
const PAYMENT_MINOR = 1_500
const LINK_TIMEOUT_MS = 30_000

const OWNER = { email: 'awa@shop.example', password: 'owner password 1', fullName: 'Awa Diop' }
const CUSTOMERS = [
  { email: 'fatou@phone.example', password: 'customer password 1', fullName: 'Fatou Ndiaye' },
  { email: 'moussa@phone.example', password: 'customer password 2', fullName: 'Moussa <b>Sow</b>' },
]

/**
 * Someone the world can sign in as, verified. No REST route makes a verified user in one step, so
 * the row is written the way the hub's HTTP test fixtures write it; every person of the world is
 * made here.
 */
async function addPerson(hub: RunningHub, person: Omit<Person, 'id'>, role: Role): Promise<Person> {
  const id = await addUser(hub.context, { ...person, role })
  return { ...person, id }
}

/** One REST session per person for the world's life: each sign-in costs a password hash. */
class Sessions {
  private readonly byLogin = new Map<string, Promise<{ api: HubApi; user: HubJson }>>()

  constructor(private readonly baseUrl: string) {}

  /** The session, and the user reply of its sign-in. */
  session(person: Pick<Person, 'email' | 'password'>): Promise<{ api: HubApi; user: HubJson }> {
    const key = `${person.email}\n${person.password}`
    let session = this.byLogin.get(key)
    if (session === undefined) {
      session = new HubApi(this.baseUrl).ok('POST', '/users/login', { email: person.email, password: person.password })
        .then(({ token, user }) => ({ api: new HubApi(this.baseUrl, token), user }))
      this.byLogin.set(key, session)
      // A failed sign-in is not kept: the next call tries again.
      session.catch(() => this.byLogin.delete(key))
    }
    return session
  }

  async signIn(person: Pick<Person, 'email' | 'password'>): Promise<HubApi> {
    return (await this.session(person)).api
  }
}

/** The owner orders the gateways, the operator validates; each terminal is provisioned, started and connected. */
async function seedGateways(
  hub: RunningHub, operator: HubApi, sessions: Sessions, dir: string, random: SeededRandom,
): Promise<{ owner: Person; gateways: Gateway[] }> {
  const owner = await addPerson(hub, OWNER, 'customer')
  const provisioned = await provisionOrder(operator, await sessions.signIn(owner), GATEWAYS, join(dir, 'terminals'), random.fork('gateways'))
  const terminals = await startTerminals(provisioned, index => random.fork(`terminal/${index}/nonces`))
  const gateways = terminals.map(terminal => ({ id: terminal.store.requireHubPin().gatewayId, eui: terminal.eui, terminal }))
  try {
    for (const terminal of terminals) await terminal.restore(LINK_TIMEOUT_MS)
  } catch (error) {
    await Promise.all(terminals.map(terminal => terminal.shutDown()))
    throw error
  }
  return { owner, gateways }
}

/** Each customer is cashed in, binds a phone and takes a voucher. */
async function seedCustomers(
  hub: RunningHub, operator: HubApi, sessions: Sessions, currency: string, random: SeededRandom,
): Promise<Customer[]> {
  const customers: Customer[] = []
  for (const [index, person] of CUSTOMERS.entries()) {
    const customer = await addPerson(hub, person, 'customer')
    const phone = random.fork(`customer/${index}`)
    const simulated = await equipCustomer(
      operator, await sessions.signIn(customer), currency,
      formatAmount(CASH_IN_MINOR, currency), formatAmount(VOUCHER_MINOR, currency), length => phone.bytes(length),
    )
    customers.push({ ...customer, wallet: simulated.wallet, simulated })
  }
  return customers
}

/**
 * The one-time code in the newest message of `kind` the hub wrote to a user (a payment's code, or a new
 * phone number's), as they would read it on their phone, from the hub's outbox.
 */
export function codeSent(world: World, userId: string, kind: 'payment_code' | 'phone_code'): string {
  const message = world.hub.context.db.prepare(
    'SELECT body FROM notification_outbox WHERE user_id = ? AND kind = ? ORDER BY created_at_ms DESC, rowid DESC LIMIT 1',
  ).get(userId, kind) as { body: string } | undefined
  const code = message === undefined ? null : /PayAll: (\d{6}) /.exec(message.body)
  if (code === null) throw new Error(`the hub sent user ${userId} no ${kind}`)
  return code[1]!
}

/** Starts the hub in `dir` and seeds it; the caller stops it (`World.stop`). */
export async function startWorld(dir: string, options: WorldOptions = {}): Promise<World> {
  // Nothing leaves the world's hub: every message stays in its outbox, where codeSent reads it.
  const hub = await startHub(hubConfig(join(dir, 'hub'), { notify: { ...NOTIFY_CONFIG_DEFAULT, deliveryIntervalMs: 0 } }))
  let gateways: Gateway[] = []
  const stop = async (): Promise<void> => {
    await Promise.all(gateways.map(gateway => gateway.terminal.shutDown()))
    await hub.stop()
  }
  try {
    const sessions = new Sessions(hub.httpUrl)
    const { api: operatorApi, user } = await sessions.session(OPERATOR)
    const operator: Person = { ...OPERATOR, id: user.id, fullName: user.fullName }
    const random = new SeededRandom('web-world')
    const seeded = await seedGateways(hub, operatorApi, sessions, dir, random)
    gateways = seeded.gateways
    const currency = gateways[0]!.terminal.store.riskConfig()!.currency
    const customers = await seedCustomers(hub, operatorApi, sessions, currency, random)

    const world: World = {
      hub, url: hub.httpUrl, currency, operator, owner: seeded.owner, gateways, customers, stop,
      async pay({ customer = 0, gateway = 0, amount_minor = PAYMENT_MINOR } = {}) {
        const payer = customers[customer]!
        const at = gateways[gateway]!
        const record = await payAndSettle(at.terminal, payer.simulated.phone, amount_minor)
        return {
          transferId: toHex(record.transferId), gatewayId: at.id, eui: at.eui, customer: payer,
          currency, amountMinor: amount_minor, amount: formatAmount(amount_minor, currency),
        }
      },
      api: person => sessions.signIn(person),
    }
    for (let index = 0; index < (options.payments ?? 0); index++) {
      await world.pay({ customer: index % customers.length, gateway: index % gateways.length })
    }
    return world
  } catch (error) {
    await stop()
    throw error
  }
}
