// payall-terminal update: a bundle is taken only when the update key the hub published signed it, its
// package is the one signed for and it is newer; it is installed beside the running release, switched
// to, and switched back unless it reports healthy in time. A refusal changes nothing.

import t from 'tap'
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { sha256 } from '../../protocol/bytes'
import { ManualClock } from '../../protocol/clock'
import { updateKeyCodec } from '../../protocol/messages/update-key'
import { updateManifestCodec, type UpdateManifestBody } from '../../protocol/messages/update-manifest'
import { nodeEd25519 } from '../../protocol/signature/node'
import { decodeUpdateBundle, encodeUpdateBundle } from '../../protocol/update-bundle'
import { judgeUpdateKey } from '../../terminal/hub-messages'
import { main } from '../../terminal/cli'
import { UpdateError, type UpdateErrorCode } from '../../terminal/update/errors'
import { Releases } from '../../terminal/update/releases'
import { applyUpdate, type UpdateOutcome, type UpdateSystem } from '../../terminal/update/updater'
import { EUI, HUB, OTHER_HUB, T0, keysOf, provisionedStore } from './fixtures'

const UPDATE_KEYS = keysOf(21)
const OTHER_UPDATE_KEYS = keysOf(22)
const RUNNING = '0.4.2'
const PACKAGE = new TextEncoder().encode('the packed project, as npm pack makes it')
const HEALTH_WAIT_MS = 10_000
const HEALTH_POLL_MS = 1_000

function bundle(overrides: Partial<UpdateManifestBody> = {}, signer = UPDATE_KEYS, pkg = PACKAGE): Uint8Array {
  const manifest = updateManifestCodec.sign({
    version: '0.5.0', packageSha256: sha256(pkg), packageBytes: pkg.length, issuedAtMs: T0, ...overrides,
  }, signer.secretKey, nodeEd25519)
  return encodeUpdateBundle({ manifest, package: pkg })
}

/** A machine as deploy/pi/install.sh leaves it: ROOT/releases/RUNNING, ROOT/current → it. */
function machine(t: { testdir(): string }) {
  const root = t.testdir()
  mkdirSync(join(root, 'releases', RUNNING), { recursive: true })
  symlinkSync(join(root, 'releases', RUNNING), join(root, 'current'))
  return { root, releases: new Releases(root) }
}

/** npm and systemd as a test sees them: what was installed, which release each restart started, and a health answer. */
class FakeSystem implements UpdateSystem {
  readonly restarts: string[] = []
  healthChecks = 0
  constructor(
    private readonly releases: Releases,
    private readonly answer: (check: number) => boolean,
    private readonly fail: { install?: boolean; restart?: boolean } = {},
  ) {}

  async install(packageBytes: Uint8Array, directory: string): Promise<void> {
    mkdirSync(directory)
    writeFileSync(join(directory, 'package.tgz'), packageBytes)
    if (this.fail.install === true) throw new Error('npm ERR! network unreachable')
  }

  async restart(): Promise<void> {
    this.restarts.push(this.releases.currentVersion())
    if (this.fail.restart === true && this.restarts.length === 1) throw new Error('Job for payall-terminal.service failed')
  }

  async healthy(): Promise<boolean> {
    this.healthChecks += 1
    return this.answer(this.healthChecks)
  }
}

/** Runs an update to its end, moving the manual clock a poll at a time while it waits. */
async function update(bytes: Uint8Array, releases: Releases, system: FakeSystem, clock: ManualClock, updateKey: Uint8Array | undefined): Promise<UpdateOutcome> {
  let done = false
  // Settled at once into a value or an error, so a refusal is not an unhandled rejection while the clock moves.
  const settled = applyUpdate(bytes, updateKey, { releases, system, clock, ed25519: nodeEd25519, healthWaitMs: HEALTH_WAIT_MS, healthPollMs: HEALTH_POLL_MS })
    .then(value => ({ value }), (error: unknown) => ({ error }))
    .finally(() => { done = true })
  // Bounded: the updater waits at most HEALTH_WAIT_MS.
  for (let step = 0; step <= HEALTH_WAIT_MS / HEALTH_POLL_MS + 2 && !done; step++) await clock.run(HEALTH_POLL_MS)
  const result = await settled
  if ('error' in result) throw result.error
  return result.value
}

t.test('a newer bundle signed with the published key is installed beside the running release and kept once healthy', async t => {
  const { root, releases } = machine(t)
  const clock = new ManualClock(T0)
  const system = new FakeSystem(releases, check => check >= 3)
  t.same(await update(bundle(), releases, system, clock, UPDATE_KEYS.publicKey), { kind: 'updated', from: RUNNING, to: '0.5.0' })
  t.equal(readlinkSync(join(root, 'current')), join(root, 'releases', '0.5.0'), 'current is the new release')
  t.ok(existsSync(join(root, 'releases', RUNNING)), 'the old release stays beside it')
  t.same(new Uint8Array(readFileSync(join(root, 'releases', '0.5.0', 'package.tgz'))), PACKAGE, 'the signed package was installed')
  t.same(system.restarts, ['0.5.0'])
  t.equal(system.healthChecks, 3, 'healthy at the third check')
})

t.test('switches back when the new release does not report healthy within the wait, or cannot be restarted', async t => {
  const { root, releases } = machine(t)
  const clock = new ManualClock(T0)
  const never = new FakeSystem(releases, () => false)
  t.same(await update(bundle(), releases, never, clock, UPDATE_KEYS.publicKey), { kind: 'rolled-back', from: RUNNING, to: '0.5.0' })
  t.equal(readlinkSync(join(root, 'current')), join(root, 'releases', RUNNING), 'current is the old release again')
  t.same(never.restarts, ['0.5.0', RUNNING], 'restarted on the new release, then on the old one')
  t.equal(never.healthChecks, HEALTH_WAIT_MS / HEALTH_POLL_MS + 1, 'checked for the whole wait, and no longer')
  t.ok(clock.now_ms() - T0 >= HEALTH_WAIT_MS, 'not switched back before the wait was over')

  const failing = new FakeSystem(releases, () => true, { restart: true })
  t.same(await update(bundle({ version: '0.5.1' }), releases, failing, clock, UPDATE_KEYS.publicKey), { kind: 'rolled-back', from: RUNNING, to: '0.5.1' })
  t.same(failing.restarts, ['0.5.1', RUNNING])
  t.equal(failing.healthChecks, 0, 'a failed restart is not healthy, whatever a check would say')
  t.equal(releases.currentVersion(), RUNNING)

  const healthy = new FakeSystem(releases, () => true)
  t.match(await update(bundle(), releases, healthy, clock, UPDATE_KEYS.publicKey), { kind: 'updated', to: '0.5.0' }, 'the same version can be tried again')
})

t.test('refuses a tampered, foreign, downgraded, same or malformed bundle, or any without an update key, and changes nothing', async t => {
  const { root, releases } = machine(t)
  const clock = new ManualClock(T0)
  const good = bundle()
  const flipped = good.slice()
  flipped[flipped.length - 1] ^= 0x01
  const swapped = encodeUpdateBundle({ manifest: decodeUpdateBundle(good).manifest, package: PACKAGE.map(byte => byte ^ 0x20) })
  const cases: Array<[string, Uint8Array, UpdateErrorCode, Uint8Array | undefined]> = [
    ['a byte of the package changed', flipped, 'TAMPERED', UPDATE_KEYS.publicKey],
    ['the package cut short', good.slice(0, good.length - 1), 'TAMPERED', UPDATE_KEYS.publicKey],
    ['another package of the same size under the signed manifest', swapped, 'TAMPERED', UPDATE_KEYS.publicKey],
    ['signed by another key', bundle({}, OTHER_UPDATE_KEYS), 'BAD_SIGNATURE', UPDATE_KEYS.publicKey],
    ['signed by the hub key itself', bundle({}, HUB), 'BAD_SIGNATURE', UPDATE_KEYS.publicKey],
    ['an older version', bundle({ version: '0.4.1' }), 'NOT_NEWER', UPDATE_KEYS.publicKey],
    ['the running version', bundle({ version: RUNNING }), 'NOT_NEWER', UPDATE_KEYS.publicKey],
    ['an older major with a larger minor', bundle({ version: '0.3.99' }), 'NOT_NEWER', UPDATE_KEYS.publicKey],
    ['not a bundle', PACKAGE, 'MALFORMED_BUNDLE', UPDATE_KEYS.publicKey],
    ['no update key published yet', good, 'NO_UPDATE_KEY', undefined],
  ]
  const before = readdirSync(join(root, 'releases'))
  for (const [what, bytes, code, key] of cases) {
    const system = new FakeSystem(releases, () => true)
    const error = await update(bytes, releases, system, clock, key).then(() => undefined, (thrown: unknown) => thrown)
    t.ok(error instanceof UpdateError && error.code === code, `${what}: ${code} (${String(error)})`)
    t.same(readdirSync(join(root, 'releases')), before, `${what}: nothing installed`)
    t.equal(releases.currentVersion(), RUNNING, `${what}: the running release stays current`)
    t.same(system.restarts, [], `${what}: nothing restarted`)
  }
})

t.test('a failed install leaves the running release current and nothing of the new one', async t => {
  const { root, releases } = machine(t)
  const system = new FakeSystem(releases, () => true, { install: true })
  const error = await update(bundle(), releases, system, new ManualClock(T0), UPDATE_KEYS.publicKey).then(() => undefined, (thrown: unknown) => thrown)
  t.ok(error instanceof UpdateError && error.code === 'INSTALL_FAILED')
  t.same(readdirSync(join(root, 'releases')), [RUNNING])
  t.equal(releases.currentVersion(), RUNNING)
  t.same(system.restarts, [])
})

t.test('a machine whose current release is not where install.sh puts it is refused before anything', async t => {
  const root = t.testdir()
  const releases = new Releases(root)
  const system = new FakeSystem(releases, () => true)
  const missing = await update(bundle(), releases, system, new ManualClock(T0), UPDATE_KEYS.publicKey).then(() => undefined, (thrown: unknown) => thrown)
  t.ok(missing instanceof UpdateError && missing.code === 'NO_CURRENT_RELEASE', 'no current symlink')
  mkdirSync(join(root, 'elsewhere', RUNNING), { recursive: true })
  symlinkSync(join(root, 'elsewhere', RUNNING), join(root, 'current'))
  const outside = await update(bundle(), releases, system, new ManualClock(T0), UPDATE_KEYS.publicKey).then(() => undefined, (thrown: unknown) => thrown)
  t.ok(outside instanceof UpdateError && outside.code === 'NO_CURRENT_RELEASE', 'current outside the releases folder')
  t.notOk(existsSync(join(root, 'releases')), 'nothing installed')
  t.same(system.restarts, [])
})

t.test('the gateway keeps the update key its hub signed, never another\'s or an older one', async t => {
  const store = provisionedStore(t.testdir())
  t.teardown(() => store.close())
  const trust = { hubPublicKey: HUB.publicKey, eui: EUI, ed25519: nodeEd25519 }
  const signed = (serial: number, key: Uint8Array, hub = HUB) => updateKeyCodec.encode(updateKeyCodec.sign({ serial, issuedAtMs: T0, publicKey: key }, hub.secretKey, nodeEd25519))
  t.match(judgeUpdateKey(signed(1, UPDATE_KEYS.publicKey, OTHER_HUB), trust, undefined), { accepted: false, refusal: 'bad-signature' })
  t.match(judgeUpdateKey(Uint8Array.of(1, 2, 3), trust, undefined), { accepted: false, refusal: 'malformed' })
  const first = judgeUpdateKey(signed(2, UPDATE_KEYS.publicKey), trust, undefined)
  t.ok(first.accepted && store.updateKey.save(first.value, T0))
  t.match(judgeUpdateKey(signed(1, OTHER_UPDATE_KEYS.publicKey), trust, 2), { accepted: false, refusal: 'stale' })
  t.notOk(store.updateKey.save({ serial: 1, publicKey: OTHER_UPDATE_KEYS.publicKey }, T0), 'the store refuses an older serial too')
  t.same(store.updateKey.current(), { serial: 2, publicKey: UPDATE_KEYS.publicKey, receivedAtMs: T0 })
})

t.test('the update command says why it refuses, with the code, and exits 1', async t => {
  const dir = t.testdir()
  provisionedStore(join(dir, 'data')).close()
  const { root } = machine({ testdir: () => join(dir, 'opt') })
  const bundlePath = join(dir, 'payall-0.5.0.bundle')
  writeFileSync(bundlePath, bundle())
  const out: string[] = []
  const err: string[] = []
  const io = {
    out: (text: string) => out.push(text), err: (text: string) => err.push(text), env: {}, clock: new ManualClock(T0),
    random: () => new Uint8Array(0), fetch: fetch, stopSignal: () => new Promise<void>(() => undefined),
  }
  t.equal(await main(['update', bundlePath, '--data-dir', join(dir, 'data'), '--releases', root], io), 1)
  t.match(err.join(''), /^payall-terminal update: NO_UPDATE_KEY: /)
  t.equal(await main(['update', '--data-dir', join(dir, 'data')], io), 2, 'no bundle named')
  t.equal(await main(['update', join(dir, 'missing.bundle'), '--data-dir', join(dir, 'data'), '--releases', root], io), 1)
  t.match(err.join(''), /no bundle at /)
  t.same(out, [])
})
