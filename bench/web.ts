// Dashboard budgets (DESIGN "Budgets"), in Debian's Chromium against a local hub with a simulated
// fleet: the first page's HTML + JS + CSS as they cross the wire gzipped, against 150 KB; and the
// median time from a navigation to the first page's first API data (its `payall:first-data` mark).

import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { chromium, type Browser, type Response } from 'playwright-core'
import { formatAmount } from '../protocol/money'
import { enrollCustomer, enrollTerminals, merchantLogin } from '../simulator/fleet/enroll'
import { startEmbeddedHub, type FleetHub } from '../simulator/fleet/hub'
import { SeededRandom } from '../simulator/fleet/seeded-random'
import { payAndSettle } from '../simulator/fleet/terminal'
import { round, type Metric } from './metric'

const CHROMIUM_PATH = '/usr/bin/chromium'
const FIRST_PAGE_BUDGET_BYTES = 150 * 1024
const NAVIGATIONS = 15
const GATEWAYS = 2
const PAYMENTS = 6
const PAYMENT_MINOR = 1_500
const LINK_TIMEOUT_MS = 30_000
/** The mark the dashboard sets once the first page after sign-in has rendered its first API data. */
const FIRST_DATA_MARK = 'payall:first-data'
const FIRST_PAGE_TYPES = new Set(['document', 'script', 'stylesheet'])

export async function benchWeb(): Promise<Metric[]> {
  if (!existsSync(CHROMIUM_PATH)) {
    process.stderr.write(`web: ${CHROMIUM_PATH} is missing (apt-get install chromium; .ci/run does): its figures are SKIPPED\n`)
    return []
  }
  const workDir = mkdtempSync(join(tmpdir(), 'payall-bench-web-'))
  const hub = await startEmbeddedHub(join(workDir, 'hub'), {})
  let browser: Browser | undefined
  const stops: Array<() => Promise<void>> = []
  try {
    stops.push(...await seedFleet(hub, workDir))
    // Tests and benches run as root in CI containers, where Chromium's sandbox cannot start.
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox'] })
    const firstPage = await measureFirstPage(browser, hub.url)
    const firstData_ms = await measureFirstData(browser, hub.url, merchantLogin({ tag: '' }))
    return [
      { name: 'web_first_page_gzip_bytes', value: firstPage.total, unit: 'bytes' },
      { name: 'web_first_page_gzip_html_bytes', value: firstPage.html, unit: 'bytes' },
      { name: 'web_first_page_gzip_js_bytes', value: firstPage.js, unit: 'bytes' },
      { name: 'web_first_page_gzip_css_bytes', value: firstPage.css, unit: 'bytes' },
      { name: 'web_first_page_budget_bytes', value: FIRST_PAGE_BUDGET_BYTES, unit: 'bytes' },
      { name: 'web_first_page_to_budget_ratio', value: round(firstPage.total / FIRST_PAGE_BUDGET_BYTES, 3), unit: 'ratio' },
      { name: 'web_first_page_parts_sent_uncompressed', value: firstPage.uncompressed.length, unit: 'files' },
      { name: 'web_navigations_measured', value: NAVIGATIONS, unit: 'navigations' },
      { name: 'web_navigation_to_first_data_p50', value: round(median(firstData_ms), 1), unit: 'ms' },
    ]
  } finally {
    await browser?.close()
    for (const stop of stops) await stop()
    await hub.stop()
    rmSync(workDir, { recursive: true, force: true })
  }
}

/** The simulator's merchant owns connected gateways that have taken a few payments: the owner's first page has data. */
async function seedFleet(hub: FleetHub, workDir: string): Promise<Array<() => Promise<void>>> {
  const random = new SeededRandom('bench-web')
  const terminals = await enrollTerminals(
    hub.operator, GATEWAYS, join(workDir, 'terminals'), random.fork('identities'), { tag: '' }, index => random.fork(`nonces/${index}`),
  )
  const stops = terminals.map(terminal => () => terminal.shutDown())
  for (const terminal of terminals) await terminal.restore(LINK_TIMEOUT_MS)
  const voucher_minor = PAYMENTS * PAYMENT_MINOR
  const customer = await enrollCustomer(hub.operator, 0, 'XOF', voucher_minor, random.fork('customer'), { tag: '' })
  for (let index = 0; index < PAYMENTS; index++) {
    await payAndSettle(terminals[index % GATEWAYS]!, customer.phone, PAYMENT_MINOR)
  }
  const verification = await hub.operator.ok('GET', '/ledger/verify')
  if (verification.ok !== true) throw new Error(`ledger invariants broken after ${formatAmount(voucher_minor, 'XOF')} XOF of payments`)
  return stops
}

interface FirstPage {
  total: number
  html: number
  js: number
  css: number
  /** The parts the hub sent plain although the browser accepted gzip: counted at gzip's default level of their bodies. */
  uncompressed: string[]
}

/**
 * `/` in a fresh browser asking for gzip only: the document, scripts and stylesheets it loads, at
 * their size on the wire when the hub gzips them, else their bodies gzipped here.
 */
async function measureFirstPage(browser: Browser, url: string): Promise<FirstPage> {
  const context = await browser.newContext({ extraHTTPHeaders: { 'accept-encoding': 'gzip' } })
  try {
    const page = await context.newPage()
    const responses: Response[] = []
    page.on('response', response => {
      if (FIRST_PAGE_TYPES.has(response.request().resourceType())) responses.push(response)
    })
    await page.goto(`${url}/`, { waitUntil: 'networkidle' })
    const sizes: FirstPage = { total: 0, html: 0, js: 0, css: 0, uncompressed: [] }
    for (const response of responses) {
      const gzipped = response.headers()['content-encoding'] === 'gzip'
      const bytes = gzipped ? (await response.request().sizes()).responseBodySize : gzipSync(await response.body()).length
      if (!gzipped) sizes.uncompressed.push(new URL(response.url()).pathname)
      const kind = response.request().resourceType()
      if (kind === 'document') sizes.html += bytes
      else if (kind === 'script') sizes.js += bytes
      else sizes.css += bytes
      sizes.total += bytes
    }
    if (sizes.uncompressed.length > 0) {
      process.stderr.write(`web: sent uncompressed, counted as gzip would make them: ${sizes.uncompressed.join(', ')}\n`)
    }
    return sizes
  } finally {
    await context.close()
  }
}

/**
 * Per navigation: a fresh browser (nothing cached) holding the refresh cookie of a new sign-in opens
 * the dashboard; the time from the navigation's start to the first-data mark, in ms, sorted.
 */
async function measureFirstData(browser: Browser, url: string, login: { email: string; password: string }): Promise<number[]> {
  const times_ms: number[] = []
  for (let index = 0; index < NAVIGATIONS; index++) {
    const context = await browser.newContext()
    try {
      const { hostname } = new URL(url)
      await context.addCookies([{ ...await refreshCookie(url, login), domain: hostname, path: '/users/refresh', httpOnly: true, sameSite: 'Strict' }])
      const page = await context.newPage()
      await page.goto(`${url}/`)
      // Functions, not strings: the dashboard's CSP (rightly) forbids the page to evaluate a string.
      await page.waitForFunction(mark => performance.getEntriesByName(mark).length > 0, FIRST_DATA_MARK)
      times_ms.push(await page.evaluate(mark => performance.getEntriesByName(mark)[0]!.startTime, FIRST_DATA_MARK))
    } finally {
      await context.close()
    }
  }
  return times_ms.sort((a, b) => a - b)
}

/** Signs in the way the dashboard does and returns the refresh cookie the hub sets. */
async function refreshCookie(url: string, login: { email: string; password: string }): Promise<{ name: string; value: string }> {
  const response = await fetch(`${url}/users/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-payall-client': 'web' },
    body: JSON.stringify({ ...login, refreshIn: 'cookie' }),
  })
  if (!response.ok) throw new Error(`sign-in as ${login.email}: ${response.status} ${await response.text()}`)
  const cookie = response.headers.getSetCookie().map(line => /^(payall_refresh)=([^;]*)/.exec(line)).find(found => found !== null)
  if (cookie == null) throw new Error('the sign-in set no payall_refresh cookie')
  return { name: cookie[1]!, value: cookie[2]! }
}

function median(sorted: readonly number[]): number {
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}
