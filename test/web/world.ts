// The world the dashboard's browser tests run in: a real hub in this process (HTTP and the embedded
// MQTT broker on free loopback ports, SQLite in the test's folder), seeded the way a deployment is,
// and Debian's Chromium driving the pages in English and in French.
//
// A page test reads like this (one hub and one browser per test file, both started before its
// first test and stopped after its last):
//
//   import t from 'tap'
//   import { webSuite } from './world'
//
//   const web = webSuite(t, { payments: 2 })
//
//   web.test('the owner sees a payment arrive without a reload', async ({ page, text, world, signIn, look }) => {
//     await signIn(world.owner)                          // through the sign-in form, in this run's language
//     await page.getByRole('heading', { level: 1, name: text.nav.ownerGateways }).waitFor()
//     await look('owner-gateways')                       // axe, then owner-gateways-<lang>.png and -phone.png
//     const payment = await world.pay({ gateway: 1 })    // a phone taps a terminal; resolves once the hub settled it
//     await page.getByRole('cell', { name: formatted(payment) }).waitFor()
//   })
//
// `web.test(name, body)` runs `body` once per language, as `name (en)` and `name (fr)`, each in a
// fresh browser context whose browser language is that one (`{ langs: ['en'] }` for one run). Take
// every label from `text` (the dashboard's own dictionary, web/src/i18n) and find elements by role
// and accessible name, never by CSS class, so one test checks both languages. After the body, the
// test fails on any console error or warning, page error, CSP violation, failed request or HTTP
// status of 400 or more that the body did not declare with `guard.expect({ status, method, path })`.
//
// What the world holds (World below): the operator, the owner of two gateways whose simulated
// terminals are connected over MQTT, two customers with a wallet, a phone and a voucher (the second
// one's name carries markup the pages must show as text), every password known; `world.pay()` makes
// the fleet take one more payment, `world.api(person)` is the REST API as that person (one session
// each for the file's life: a test that changes a password or suspends someone should use a person
// of its own, made with `world.api(world.operator)` or the pages, not one the other tests share).

import { join } from 'node:path'
import type { Test } from 'tap'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { en } from '../../web/src/i18n/en'
import { fr } from '../../web/src/i18n/fr'
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
import { TEST_STORE } from '../helpers/hub-store'
import { checkAxe, CHROMIUM, ContextGuard, DESKTOP, launchChromium, Screenshots } from './browser'

/** Someone who signs in: the tests know every password. */
interface Person {
  readonly id: string
  readonly email: string
  readonly password: string
  readonly fullName: string
}

interface Gateway {
  /** The hub's id of the gateway (what its REST paths take). */
  readonly id: string
  readonly eui: string
  /** The simulated terminal at the counter, connected to the hub's broker. */
  readonly terminal: SimulatedTerminal
}

interface Customer extends Person {
  /** The wallet's account id, its phone and its voucher. */
  readonly wallet: string
  readonly simulated: SimulatedCustomer
}

/** A payment the hub has settled. */
interface SettledPayment {
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
export async function codeSent(world: World, userId: string, kind: 'payment_code' | 'phone_code'): Promise<string> {
  const { engine } = world.hub.context
  // SQLite's rowid breaks a tie within one millisecond; PostgreSQL's rows have no order of insertion to break it with.
  const message = await engine.get<{ body: string }>(
    `SELECT body FROM notification_outbox WHERE user_id = ? AND kind = ? ORDER BY created_at_ms DESC${engine.dialect === 'sqlite' ? ', rowid DESC' : ''} LIMIT 1`,
    [userId, kind])
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

export type Lang = 'en' | 'fr'
export type Messages = typeof en
/** The dashboard's own strings: a test finds what a user reads in the language of its run. */
export const DICTIONARIES: Readonly<Record<Lang, Messages>> = { en, fr }
export const LANGS: readonly Lang[] = ['en', 'fr']
/** The browser's language per run: the dashboard starts in it when no choice is remembered. */
const LOCALES: Readonly<Record<Lang, string>> = { en: 'en-GB', fr: 'fr-FR' }

/** What a page test's body is handed: its page in a fresh context, in one language. */
interface PageRun {
  readonly t: Test
  readonly world: World
  readonly lang: Lang
  readonly text: Messages
  readonly context: BrowserContext
  readonly page: Page
  readonly guard: ContextGuard
  /** Through the sign-in form; resolves once the signed-in frame (its main navigation) shows. */
  signIn(person: Pick<Person, 'email' | 'password'>): Promise<void>
  /** With the header's button; resolves once the sign-in page shows. */
  signOut(): Promise<void>
  /** The page as it is now: axe finds no serious or critical violation; `<name>-<lang>.png` and `-phone.png` written. */
  look(name: string): Promise<void>
}

export interface WebSuite {
  /** `body` once per language (or per `langs`), each as its own subtest. */
  test(name: string, body: (run: PageRun) => Promise<void>): void
  test(name: string, options: { langs?: readonly Lang[] }, body: (run: PageRun) => Promise<void>): void
  /** The world, once the suite has started (inside a test). */
  readonly world: World
}

/** One world and one Chromium for the test file `t`, started before its first test, stopped after its last. */
export function webSuite(t: Test, options: WorldOptions = {}): WebSuite {
  let world: World | undefined
  let browser: Browser | undefined
  let screenshots: Screenshots | undefined
  t.before(async () => {
    if (CHROMIUM.skip !== false) return
    world = await startWorld(t.testdir(), options)
    browser = await launchChromium()
  })
  t.teardown(async () => {
    await browser?.close()
    await world?.stop()
  })

  const run = async (tt: Test, lang: Lang, body: (run: PageRun) => Promise<void>): Promise<void> => {
    const context = await browser!.newContext({ baseURL: world!.url, locale: LOCALES[lang], viewport: DESKTOP })
    tt.teardown(() => context.close())
    const guard = await ContextGuard.watch(context, world!.url)
    const page = await context.newPage()
    const text = DICTIONARIES[lang]
    await body({
      t: tt, world: world!, lang, text, context, page, guard,
      signIn: person => signInThroughForm(page, text, person),
      async signOut() {
        await page.getByRole('button', { name: text.app.signOut }).click()
        await page.getByRole('heading', { level: 1, name: text.signIn.title }).waitFor()
      },
      async look(name) {
        await checkAxe(tt, page, `${name} (${lang})`)
        screenshots ??= Screenshots.forRun()
        await screenshots.take(tt, page, name, lang)
      },
    })
    guard.check(tt)
  }

  function test(name: string, ...rest: [(run: PageRun) => Promise<void>] | [{ langs?: readonly Lang[] }, (run: PageRun) => Promise<void>]): void {
    const [testOptions, body] = rest.length === 1 ? [{}, rest[0]] : rest
    const langs = testOptions.langs ?? LANGS
    // On PostgreSQL (npm run test:postgres) the store is what is under test, the same in every language: one will do.
    for (const lang of TEST_STORE === 'postgres' ? langs.slice(0, 1) : langs) {
      t.test(`${name} (${lang})`, { skip: CHROMIUM.skip }, tt => run(tt, lang, body))
    }
  }

  return {
    test,
    get world() {
      if (world === undefined) throw new Error('the web suite has not started: use its world inside a test')
      return world
    },
  }
}

async function signInThroughForm(page: Page, text: Messages, person: Pick<Person, 'email' | 'password'>): Promise<void> {
  await page.goto('/#/sign-in')
  await page.getByLabel(text.signIn.identifier).fill(person.email)
  await page.getByLabel(text.signIn.password, { exact: true }).fill(person.password)
  await page.getByRole('button', { name: text.signIn.submit }).click()
  await page.getByRole('navigation', { name: text.app.mainNavigation }).waitFor()
}
