import t from 'tap'
import { existsSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { checkAxe, CHROMIUM, ContextGuard, launchChromium, Screenshots, type Assert } from './browser'

// The browser harness must catch what it promises to catch, or the dashboard's tests prove nothing:
// here it meets small pages made to break each rule, served with the dashboard's script policy.

const CSP = "default-src 'self'; script-src 'self'"

const PAGES: Record<string, { type: string; body: string; status?: number }> = {
  '/clean': { type: 'text/html', body: '<!doctype html><html lang="en"><title>Clean</title><main><h1>Clean</h1><script src="/quiet.js"></script></main></html>' },
  '/quiet.js': { type: 'text/javascript', body: 'document.querySelector("h1").dataset.ready = "yes"' },
  '/inline': { type: 'text/html', body: '<!doctype html><html lang="en"><title>Inline</title><main><h1>Inline</h1><script>document.title = "ran"</script></main></html>' },
  '/noisy': { type: 'text/html', body: '<!doctype html><html lang="en"><title>Noisy</title><main><h1>Noisy</h1><script src="/noisy.js"></script></main></html>' },
  '/noisy.js': { type: 'text/javascript', body: 'console.error("something broke"); setTimeout(() => { throw new Error("thrown later") })' },
  '/missing-image': { type: 'text/html', body: '<!doctype html><html lang="en"><title>Missing</title><main><h1>Missing</h1><img src="/nope.png" alt="nothing"></main></html>' },
  '/login-refused': { type: 'text/html', body: '<!doctype html><html lang="en"><title>Refused</title><main><h1>Refused</h1><script src="/login.js"></script></main></html>' },
  '/login.js': { type: 'text/javascript', body: 'fetch("/login", { method: "POST" }).then(r => { document.querySelector("h1").dataset.status = String(r.status) })' },
  '/login': { type: 'application/json', body: '{"error":{"code":"UNAUTHORIZED","message":"no"}}', status: 401 },
  '/inaccessible': { type: 'text/html', body: '<!doctype html><html><title>Bad</title><img src="/quiet.png"><button></button></html>' },
  '/quiet.png': { type: 'image/png', body: '' },
  // Chromium asks every site for its icon; a missing one would be a 404 on every page.
  '/favicon.ico': { type: 'image/x-icon', body: '' },
  '/wide': { type: 'text/html', body: '<!doctype html><html lang="en"><title>Wide</title><link rel="stylesheet" href="/wide.css"><main><h1>Wide</h1><div class="wide">wide</div></main></html>' },
  '/wide.css': { type: 'text/css', body: '.wide { width: 900px }' },
}

async function serve(): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname
    // Held open until the page leaves: the live event stream, and any other request still in flight.
    if (path === '/events' || path === '/slow') {
      response.writeHead(200, { 'content-type': path === '/events' ? 'text/event-stream' : 'application/json' }).write('\n')
      return
    }
    if (path === '/hang-up') {
      request.socket.destroy()
      return
    }
    const page = PAGES[path]
    response.setHeader('content-security-policy', CSP)
    if (page === undefined) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found')
      return
    }
    response.writeHead(page.status ?? 200, { 'content-type': page.type }).end(page.body)
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', () => resolve()))
  const { port } = server.address() as { port: number }
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise(resolve => server.close(() => resolve())) }
}

/** An assertion sink that keeps what a helper asserted, to look at it instead of failing this test. */
function recorder(): Assert & { failed: string[]; passed: string[] } {
  const failed: string[] = []
  const passed: string[] = []
  const note = (ok: boolean, message: string, detail = ''): void => void (ok ? passed : failed).push(`${message}${detail}`)
  return {
    failed, passed,
    same: (found, wanted, message) => note(JSON.stringify(found) === JSON.stringify(wanted), message, ` ${JSON.stringify(found)}`),
    ok: (value, message) => note(Boolean(value), message),
    comment: () => undefined,
  }
}

t.test('the browser harness', { skip: CHROMIUM.skip }, async t => {
  const site = await serve()
  t.teardown(() => site.close())
  const browser: Browser = await launchChromium()
  t.teardown(() => browser.close())

  const visit = async (path: string, act?: (page: Page, guard: ContextGuard) => Promise<void>): Promise<{ page: Page; guard: ContextGuard }> => {
    const context = await browser.newContext()
    t.teardown(() => context.close())
    const guard = await ContextGuard.watch(context, site.url)
    const page = await context.newPage()
    await act?.(page, guard)
    await page.goto(`${site.url}${path}`)
    return { page, guard }
  }

  t.test('finds nothing wrong with a quiet page that loads its script from its own origin', async t => {
    const { page, guard } = await visit('/clean')
    await page.locator('h1[data-ready="yes"]').waitFor()
    guard.check(t)
  })

  t.test('reports a CSP violation: an inline script the policy refused', async t => {
    const { page, guard } = await visit('/inline')
    await page.locator('h1').waitFor()
    t.equal(await page.title(), 'Inline', 'the inline script did not run')
    t.match(await guard.problem(problem => problem.startsWith('CSP violation')), /^CSP violation: script-src-elem blocked inline at /)
  })

  t.test('reports a console error and a page error', async t => {
    const { guard } = await visit('/noisy')
    await guard.problem(problem => problem.startsWith('page error'))
    t.match(guard.problems, [/^console error: something broke/, /^page error: thrown later/])
  })

  t.test('reports a response of 400 or more that nobody expected, with Chromium\'s console line about it', async t => {
    const { guard } = await visit('/missing-image')
    t.equal(await guard.problem(problem => problem.startsWith('HTTP')), `HTTP 404: GET ${site.url}/nope.png`)
    t.match(await guard.problem(problem => problem.startsWith('console')), /^console error: Failed to load resource: the server responded with a status of 404/)
  })

  t.test('lets a test expect a failing response: neither it nor its console line is a problem', async t => {
    const { page, guard } = await visit('/login-refused', async (_page, guard) => guard.expect({ status: 401, method: 'POST', path: '/login' }))
    await page.locator('h1[data-status="401"]').waitFor()
    guard.check(t)
    t.same(guard.problems, [])
  })

  t.test('reports a request that failed on the network', async t => {
    const { page, guard } = await visit('/clean')
    await page.evaluate('fetch("/hang-up").catch(() => undefined)')
    t.match(await guard.problem(problem => problem.startsWith('request failed')), /^request failed: GET http:\/\/127\.0\.0\.1:\d+\/hang-up net::ERR_EMPTY_RESPONSE/)
  })

  t.test('reports a request cut short by leaving the page, except the live event stream', async t => {
    const { page, guard } = await visit('/clean')
    const started = Promise.all(['/events', '/slow'].map(path => page.waitForResponse(response => response.url().endsWith(path))))
    await page.evaluate('fetch("/events").catch(() => undefined); fetch("/slow").catch(() => undefined)')
    await started
    await page.goto(`${site.url}/clean`)
    t.match(await guard.problem(problem => problem.startsWith('request failed')), /^request failed: GET http:\/\/127\.0\.0\.1:\d+\/slow net::ERR_ABORTED/)
    t.same(guard.problems.filter(problem => problem.includes('/events')), [], 'the event stream ends with the page it belongs to')
  })

  t.test('leaving a page as a person would: a read the page started meanwhile may be cut short, a write may not', async t => {
    const { page, guard } = await visit('/clean')
    const leaveWith = async (method: string): Promise<void> => guard.leave(async () => {
      // Sent after the page went quiet, as a live event would make it reload what it shows.
      const sent = page.waitForResponse(response => response.url().endsWith('/slow') && response.request().method() === method)
      await page.evaluate(`fetch("/slow", { method: "${method}" }).catch(() => undefined)`)
      await sent
      await page.goto(`${site.url}/clean`)
    })
    await leaveWith('GET')
    await page.locator('h1[data-ready="yes"]').waitFor()
    t.same(guard.problems, [], 'the read cancelled by leaving is no fault of the page')
    await leaveWith('POST')
    t.match(await guard.problem(problem => problem.startsWith('request failed')), /^request failed: POST http:\/\/127\.0\.0\.1:\d+\/slow net::ERR_ABORTED/)
  })

  t.test('axe: a clean page passes; missing alt text, button name and language fail with rule and element', async t => {
    const clean = recorder()
    await checkAxe(clean, (await visit('/clean')).page, 'clean')
    t.same(clean.failed, [])
    const bad = recorder()
    await checkAxe(bad, (await visit('/inaccessible')).page, 'inaccessible')
    t.equal(bad.failed.length, 1)
    for (const rule of ['image-alt', 'button-name', 'html-has-lang']) t.match(bad.failed[0], rule)
    t.match(bad.failed[0], '"targets":["img"]')
  })

  t.test('screenshots: a desktop and a phone picture per page and language; a page wider than a phone fails', async t => {
    const screenshots = new Screenshots(t.testdir())
    const fits = recorder()
    await screenshots.take(fits, (await visit('/clean')).page, 'clean', 'en')
    t.same(fits.failed, [])
    t.ok(existsSync(join(screenshots.dir, 'clean-en.png')) && existsSync(join(screenshots.dir, 'clean-en-phone.png')))
    const wide = recorder()
    await screenshots.take(wide, (await visit('/wide')).page, 'wide', 'fr')
    t.match(wide.failed, [/wide \(fr\) fits a 360 px phone screen without scrolling sideways \(\d+ px wide\)/])
  })
})
