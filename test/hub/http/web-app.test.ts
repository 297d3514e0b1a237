import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import Fastify from 'fastify'
import t from 'tap'
import { handleError } from '../../../hub/http/errors'
import { WEB_CONTENT_SECURITY_POLICY, webApp } from '../../../hub/http/web-app'
import { testHub } from './fixtures'

const PAGE = '<!doctype html><html lang="en"><head><script type="module" src="/assets/main-ABC.js"></script></head></html>'
const SCRIPT = 'console.log("the dashboard")'

function builtDashboard(): string {
  const root = mkdtempSync(join(tmpdir(), 'payall-web-'))
  mkdirSync(join(root, 'assets'))
  writeFileSync(join(root, 'index.html'), PAGE)
  writeFileSync(join(root, 'assets', 'main-ABC.js'), SCRIPT)
  writeFileSync(join(root, 'assets', 'main-ABC.js.gz'), gzipSync(SCRIPT))
  return root
}

async function serving(root: string) {
  const app = Fastify()
  app.setErrorHandler(handleError)
  await app.register(webApp, { root })
  return app
}

t.test('/ is the dashboard page, under a policy that admits only the hub’s own scripts and styles', async (t) => {
  const app = await serving(builtDashboard())
  t.teardown(() => app.close())
  const response = await app.inject({ method: 'GET', url: '/' })
  t.equal(response.statusCode, 200)
  t.match(response.headers['content-type'], /^text\/html/)
  t.equal(response.body, PAGE)
  t.equal(response.headers['cache-control'], 'no-cache', 'a new build is seen at the next visit')
  const policy = String(response.headers['content-security-policy'])
  t.equal(policy, WEB_CONTENT_SECURITY_POLICY)
  t.match(policy, /script-src 'self'(;|$)/)
  t.notMatch(policy, /unsafe-inline|unsafe-eval/, 'no inline script or style, no eval')
  t.match(policy, /frame-ancestors 'none'/)
})

t.test('assets are served precompressed to a browser that takes gzip, and cached for good', async (t) => {
  const app = await serving(builtDashboard())
  t.teardown(() => app.close())
  const compressed = await app.inject({ method: 'GET', url: '/assets/main-ABC.js', headers: { 'accept-encoding': 'gzip' } })
  t.equal(compressed.statusCode, 200)
  t.equal(compressed.headers['content-encoding'], 'gzip')
  t.same(compressed.rawPayload, gzipSync(SCRIPT), 'the build’s .gz file, as it is')
  t.match(String(compressed.headers['cache-control']), /immutable/)
  const plain = await app.inject({ method: 'GET', url: '/assets/main-ABC.js' })
  t.equal(plain.body, SCRIPT, 'a client without gzip gets the file itself')
  const missing = await app.inject({ method: 'GET', url: '/assets/../index.html' })
  t.not(missing.statusCode, 200, 'nothing outside the assets folder')
})

t.test('a hub whose dashboard was never built says so at /, and its API still works', async (t) => {
  const app = await serving(mkdtempSync(join(tmpdir(), 'payall-web-empty-')))
  t.teardown(() => app.close())
  const response = await app.inject({ method: 'GET', url: '/' })
  t.equal(response.statusCode, 503)
  t.match(response.json().error.message, /npm run build/)
})

t.test('the hub serves the built dashboard at / beside its API', async (t) => {
  const { app } = await testHub(t)
  const page = await app.inject({ method: 'GET', url: '/' })
  t.equal(page.statusCode, 200, 'npm run build has built the dashboard')
  const script = /<script type="module" src="(\/assets\/main-[A-Z0-9]+\.js)"><\/script>/.exec(page.body)
  t.ok(script, 'the page loads its hashed entry script, not an inline one')
  t.notMatch(page.body, /<script>(?!<)/, 'no inline script')
  const asset = await app.inject({ method: 'GET', url: script![1]!, headers: { 'accept-encoding': 'br, gzip' } })
  t.equal(asset.statusCode, 200)
  t.equal(asset.headers['content-encoding'], 'br')
  const health = await app.inject({ method: 'GET', url: '/health' })
  t.equal(health.statusCode, 200)
})
