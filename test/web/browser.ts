// Debian's Chromium driven by playwright-core for the dashboard's tests: one browser per test file, a
// guard per browser context that turns every console error, page error, CSP violation, failed
// request and unexpected HTTP status into a test failure, an axe-core check and screenshots.

import { mkdtempSync, mkdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { chromium, type Browser, type BrowserContext, type ConsoleMessage, type Page, type Request, type Response } from 'playwright-core'
import { requiredProgram } from '../helpers/required-program'

/** Debian's Chromium (.ci/run installs it); a browser is never downloaded. */
export const CHROMIUM = requiredProgram('chromium', ['/usr/bin/chromium'], 'apt-get install chromium; .ci/run does')

/** The minimal assertions the helpers need from a tap test. */
export interface Assert {
  same(found: unknown, wanted: unknown, message: string): void
  ok(value: unknown, message: string): void
  comment(...message: unknown[]): void
}

export async function launchChromium(): Promise<Browser> {
  if (CHROMIUM.path === undefined) throw new Error('chromium is not installed, and .ci/run should have installed it')
  // Tests run as root in CI containers, where Chromium's sandbox cannot start.
  return chromium.launch({ executablePath: CHROMIUM.path, args: ['--no-sandbox'] })
}

/** A response a test expects to fail, such as a wrong password's 401 on POST /users/login. */
export interface ExpectedStatus {
  readonly status: number
  readonly method: string
  /** The URL's path, exactly. */
  readonly path: string
}

/** The binding the init script calls on a `securitypolicyviolation` event. */
const CSP_BINDING = 'payallCspViolation'
const CSP_LISTENER = `document.addEventListener('securitypolicyviolation', event => {
  window.${CSP_BINDING}(event.effectiveDirective + ' blocked ' + (event.blockedURI || 'inline') + ' at ' + event.sourceFile + ':' + event.lineNumber)
})`

/** Chromium's console line for a response of 400 or more; the response itself is judged instead. */
const FAILED_RESOURCE = /^Failed to load resource: the server responded with a status of \d+/

/**
 * Records everything on a context's pages that a user should never meet. `check` fails the test on any
 * of it; `expect` declares a failing response the test provokes on purpose.
 */
export class ContextGuard {
  readonly problems: string[] = []
  private readonly waiting = new Set<() => void>()
  private readonly expected: ExpectedStatus[] = []
  /** URLs of the expected failing responses: Chromium's console line about each is not a problem either. */
  private readonly expectedUrls = new Set<string>()
  /** Requests sent and not yet answered in full, the live event stream aside (it never ends). */
  private readonly inFlight = new Set<Request>()
  private readonly waitingForQuiet = new Set<() => void>()
  /** While a test leaves or reloads a page: the reads that page still has out are cancelled by the browser. */
  private leaving = false
  /** Reads sent while a page was being left: the browser may report their cancelling after the new page loaded. */
  private readonly leftBehind = new WeakSet<Request>()

  private constructor(private readonly baseUrl: string) {}

  static async watch(context: BrowserContext, baseUrl: string): Promise<ContextGuard> {
    const guard = new ContextGuard(baseUrl)
    await context.exposeBinding(CSP_BINDING, (_source, text: string) => guard.record(`CSP violation: ${text}`))
    // Init scripts come through the DevTools protocol: the page's CSP does not apply to them.
    await context.addInitScript({ content: CSP_LISTENER })
    context.on('console', message => guard.onConsole(message))
    context.on('weberror', error => guard.record(`page error: ${error.error().message}`))
    context.on('request', request => guard.onRequest(request))
    context.on('requestfinished', request => guard.onRequestDone(request))
    context.on('requestfailed', request => {
      guard.onRequestDone(request)
      guard.onRequestFailed(request)
    })
    context.on('response', response => guard.onResponse(response))
    return guard
  }

  expect(status: ExpectedStatus): void {
    this.expected.push(status)
  }

  /** Resolves once a problem `matches` has been recorded (the browser reports on its own time). */
  problem(matches: (problem: string) => boolean): Promise<string> {
    return new Promise(resolve => {
      const look = (): boolean => {
        const found = this.problems.find(matches)
        if (found === undefined) return false
        this.waiting.delete(wake)
        resolve(found)
        return true
      }
      const wake = (): void => void look()
      if (!look()) this.waiting.add(wake)
    })
  }

  /**
   * Resolves once no request is in flight: a test that leaves or reloads a page waits for it first, as
   * a request the page still had out would be aborted and reported as failed.
   */
  quiet(): Promise<void> {
    if (this.inFlight.size === 0) return Promise.resolve()
    return new Promise(resolve => this.waitingForQuiet.add(resolve))
  }

  /**
   * Leaves or reloads a page as a person would: once what the page sent has been answered (a write cut off
   * would be a failure), then `navigate`. A read the page starts in between, as a live event makes it
   * reload what it shows, is cancelled by the browser and is no fault of the page; a cancelled write is.
   */
  async leave(navigate: () => Promise<unknown>): Promise<void> {
    await this.quiet()
    this.leaving = true
    try {
      await navigate()
    } finally {
      this.leaving = false
    }
  }

  check(t: Assert, what = 'the pages'): void {
    t.same(this.problems, [], `${what}: no console error or warning, page error, CSP violation, failed request or unexpected status`)
  }

  private record(problem: string): void {
    this.problems.push(problem)
    for (const wake of [...this.waiting]) wake()
  }

  private onConsole(message: ConsoleMessage): void {
    const type = message.type()
    if (type !== 'error' && type !== 'warning') return
    const text = message.text()
    if (FAILED_RESOURCE.test(text) && this.expectedUrls.has(message.location().url)) return
    this.record(`console ${type}: ${text} (${message.location().url})`)
  }

  private onRequest(request: Request): void {
    if (this.leaving) this.leftBehind.add(request)
    if (this.pathOf(request.url()) !== '/events') this.inFlight.add(request)
  }

  private onRequestDone(request: Request): void {
    if (!this.inFlight.delete(request) || this.inFlight.size > 0) return
    for (const wake of this.waitingForQuiet) wake()
    this.waitingForQuiet.clear()
  }

  private onRequestFailed(request: Request): void {
    const errorText = request.failure()?.errorText ?? 'failed'
    // Leaving or reloading a page ends its live event stream: the one request whose abort is expected.
    if (errorText === 'net::ERR_ABORTED' && this.pathOf(request.url()) === '/events') return
    if (errorText === 'net::ERR_ABORTED' && request.method() === 'GET' && (this.leaving || this.leftBehind.has(request))) return
    this.record(`request failed: ${request.method()} ${request.url()} ${errorText}`)
  }

  private onResponse(response: Response): void {
    const status = response.status()
    if (status < 400) return
    const request = response.request()
    const path = this.pathOf(response.url())
    if (this.expected.some(e => e.status === status && e.method === request.method() && e.path === path)) {
      this.expectedUrls.add(response.url())
      return
    }
    this.record(`HTTP ${status}: ${request.method()} ${response.url()}`)
  }

  private pathOf(url: string): string {
    return new URL(url, this.baseUrl).pathname
  }
}

const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8')

interface AxeViolation {
  id: string
  impact: string
  help: string
  targets: string[]
}

/**
 * Runs axe-core on the page as it is now and fails the test on any serious or critical violation,
 * naming the rule and the elements. axe's source is evaluated through the DevTools protocol: a
 * script tag would be (rightly) refused by the dashboard's CSP.
 */
export async function checkAxe(t: Assert, page: Page, what: string): Promise<void> {
  if (await page.evaluate('typeof axe') === 'undefined') await page.evaluate(AXE_SOURCE)
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as any).axe
    const results = await axe.run({ resultTypes: ['violations'] })
    return (results.violations as any[])
      .filter(violation => violation.impact === 'serious' || violation.impact === 'critical')
      .map(violation => ({
        id: violation.id as string,
        impact: violation.impact as string,
        help: violation.help as string,
        targets: (violation.nodes as any[]).map(node => (node.target as string[]).join(' ')),
      }))
  }) as AxeViolation[]
  t.same(violations, [], `axe: no serious or critical violation on ${what}`)
}

export const DESKTOP = { width: 1280, height: 800 }
const PHONE = { width: 360, height: 740 }

/** Where the screenshots of this test file go: PAYALL_SCREENSHOTS, or a fresh temporary folder. */
export class Screenshots {
  private announced = false

  constructor(readonly dir: string) {}

  static forRun(): Screenshots {
    const configured = process.env.PAYALL_SCREENSHOTS
    if (configured !== undefined && configured !== '') {
      mkdirSync(configured, { recursive: true })
      return new Screenshots(resolve(configured))
    }
    return new Screenshots(mkdtempSync(join(tmpdir(), 'payall-screenshots-')))
  }

  /**
   * `<page>-<lang>.png` at the desktop width and `<page>-<lang>-phone.png` at a phone's 360 px, both
   * full page; fails the test when the page scrolls sideways on the phone. The viewport is restored.
   */
  async take(t: Assert, page: Page, name: string, lang: string): Promise<void> {
    if (!this.announced) {
      t.comment(`screenshots: ${this.dir}`)
      this.announced = true
    }
    const viewport = page.viewportSize() ?? DESKTOP
    await page.setViewportSize(DESKTOP)
    await page.screenshot({ path: join(this.dir, `${name}-${lang}.png`), fullPage: true })
    await page.setViewportSize(PHONE)
    const width = await page.evaluate('document.documentElement.scrollWidth') as number
    t.ok(width <= PHONE.width, `${name} (${lang}) fits a ${PHONE.width} px phone screen without scrolling sideways (${width} px wide)`)
    await page.screenshot({ path: join(this.dir, `${name}-${lang}-phone.png`), fullPage: true })
    await page.setViewportSize(viewport)
  }
}

/** What has the keyboard focus, and whether the user can see it (a focus ring or shadow). */
export interface FocusState {
  tag: string
  /** The focused element's accessible name, as far as its label, aria-label or text give it. */
  name: string
  focusVisible: boolean
  ringVisible: boolean
}

export function focusState(page: Page): Promise<FocusState> {
  return page.evaluate(() => {
    const { document, getComputedStyle } = globalThis as any
    const element = document.activeElement
    if (element === null || element === document.body) return { tag: 'body', name: '', focusVisible: false, ringVisible: false }
    const style = getComputedStyle(element)
    const label = element.labels?.[0]?.textContent ?? element.getAttribute('aria-label') ?? element.textContent ?? ''
    const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0
    return {
      tag: (element.tagName as string).toLowerCase(),
      name: (label as string).trim(),
      focusVisible: element.matches(':focus-visible') as boolean,
      ringVisible: outline || style.boxShadow !== 'none',
    }
  })
}

/**
 * Presses Tab (Shift+Tab when `backwards`) until `isTarget` holds for the focused element, at most
 * `presses_max` times; returns every element the focus stopped on, the target last.
 */
export async function tabTo(
  page: Page, isTarget: (focus: FocusState) => boolean, { backwards = false, presses_max = 30 } = {},
): Promise<FocusState[]> {
  const stops: FocusState[] = []
  for (let presses = 0; presses < presses_max; presses++) {
    await page.keyboard.press(backwards ? 'Shift+Tab' : 'Tab')
    const focus = await focusState(page)
    stops.push(focus)
    if (isTarget(focus)) return stops
  }
  throw new Error(`nothing the test looked for took the focus within ${presses_max} presses: ${JSON.stringify(stops)}`)
}
