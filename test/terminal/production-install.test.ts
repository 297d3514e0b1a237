// A production install of the packed project runs the gateway's commands without the development
// dependencies. The package is `npm pack`ed and unpacked as node_modules/payall of a temporary
// folder, beside the packages `npm ci --omit=dev` lays out from package-lock.json (every entry not
// marked dev, linked from this checkout's node_modules, so no registry round trip and no native
// rebuild: the same versions and the same layout, in seconds instead of minutes), and its
// launcher is run as npx runs it: init, provision against a real hub, run, and run --simulate
// refused with a clear error since the simulator's mock-firmata is a development dependency.

import t from 'tap'
import { execFile, spawn } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { hubWithGatewayToken } from './cli-world'

const root = join(__dirname, '..', '..')
const run = promisify(execFile)
/** A command that hangs (waiting for a hub or a device) fails the test instead of holding it to tap's timeout. */
const COMMAND_TIMEOUT_MS = 30_000

interface LockEntry {
  readonly dev?: boolean
  readonly link?: boolean
}

/** The top-level packages `npm ci --omit=dev` installs: every lock entry not marked dev (devOptional ones stay). */
function productionPackages(): string[] {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> }
  return Object.entries(lock.packages)
    .filter(([path, entry]) => path.startsWith('node_modules/') && !path.slice('node_modules/'.length).includes('node_modules/') && entry.dev !== true)
    .map(([path]) => path.slice('node_modules/'.length))
}

/** The packed project installed for production in `folder`; returns the launcher npx would run. */
async function installPacked(folder: string): Promise<string> {
  const packs = join(folder, 'packs')
  mkdirSync(packs)
  // The test run built dist/ already (npm test builds first); prepare would only build it again.
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', packs], { cwd: root })
  const [{ filename }] = JSON.parse(stdout) as Array<{ filename: string }>
  const modules = join(folder, 'node_modules')
  mkdirSync(join(modules, '.bin'), { recursive: true })
  await run('tar', ['-xzf', join(packs, filename), '-C', packs])
  renameSync(join(packs, 'package'), join(modules, 'payall'))
  for (const name of productionPackages()) {
    const installed = join(root, 'node_modules', name)
    // An optional dependency for another platform is in the lock but not installed here.
    if (!existsSync(installed)) continue
    mkdirSync(dirname(join(modules, name)), { recursive: true })
    symlinkSync(installed, join(modules, name), 'dir')
  }
  const { bin } = JSON.parse(readFileSync(join(modules, 'payall', 'package.json'), 'utf8')) as { bin: Record<string, string> }
  const launcher = join(modules, '.bin', 'payall-terminal')
  symlinkSync(join('..', 'payall', bin['payall-terminal']!), launcher)
  // As npm does for every bin it links.
  chmodSync(launcher, 0o755)
  return launcher
}

t.test('the packed project, installed without its development dependencies, runs the gateway', async t => {
  // Outside the checkout: Node looks for packages in every parent folder's node_modules, and this one's has them all.
  const folder = mkdtempSync(join(tmpdir(), 'payall-production-'))
  t.teardown(() => rmSync(folder, { recursive: true, force: true }))
  const launcher = await installPacked(folder)
  t.notOk(existsSync(join(folder, 'node_modules', 'mock-firmata')), 'mock-firmata (a development dependency) is not installed')
  t.notOk(existsSync(join(folder, 'node_modules', 'typescript')), 'nor is typescript')
  // Nor tap's loaders (NODE_OPTIONS) nor extra module folders: the launcher runs as on a gateway.
  const { NODE_PATH: _path, NODE_OPTIONS: _options, ...inherited } = process.env
  const env = { ...inherited, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`, PAYALL_TERMINAL_DATA: join(folder, 'data') }
  const terminal = (...args: string[]) => run(launcher, args, { cwd: folder, env, timeout: COMMAND_TIMEOUT_MS }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  )

  const help = await terminal('--help')
  t.equal(help.code, 0, help.stderr)
  t.match(help.stdout, /^payall-terminal /)

  const eui = '70B3D57ED000C0DE'
  const init = await terminal('init', '--eui', eui)
  t.equal(init.code, 0, init.stderr)
  t.match(init.stdout, `initialized gateway ${eui}`)

  const { hub, token } = await hubWithGatewayToken(t, join(folder, 'hub'), eui, 'owner@production.example')
  const provision = await terminal('provision', '--hub', hub.httpUrl, '--token', token)
  t.equal(provision.code, 0, provision.stderr)
  t.match(provision.stdout, `mqtt: ${hub.mqttUrl}`)

  const simulate = await terminal('run', '--simulate')
  t.equal(simulate.code, 1, 'run --simulate is refused')
  t.match(simulate.stderr, /SIMULATOR_MISSING.*mock-firmata.*without --omit=dev/)

  const hardware = join(folder, 'hardware.json')
  writeFileSync(hardware, JSON.stringify({ nfc: { driver: 'pn532', port: '/dev/ttyPAYALL-no-such-reader', baudRate: 115200 }, keypad: { driver: 'keyboard' }, display: { driver: 'console' } }))
  const absent = await terminal('run', '--hardware', hardware)
  t.equal(absent.code, 1, 'run opens the real drivers (serialport loads) and says the reader is not there')
  t.match(absent.stderr, /no-such-reader/)
  t.notMatch(absent.stderr, /Cannot find module/)

  // run --link-only until SIGTERM: the link comes up, and the stop is clean.
  const child = spawn(launcher, ['run', '--link-only'], { cwd: folder, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stderr.on('data', chunk => { output += String(chunk) })
  const linkUp = new Promise<void>(resolve => child.stdout.on('data', chunk => {
    output += String(chunk)
    if (output.includes('link up')) resolve()
  }))
  const exited = new Promise<number | null>(resolve => child.on('exit', code => resolve(code)))
  await Promise.race([linkUp, exited])
  t.match(output, 'link up', output)
  child.kill('SIGTERM')
  t.equal(await exited, 0, 'a clean stop on SIGTERM')
})
