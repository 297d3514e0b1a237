// A cluster of hubs on one machine: a Mosquitto set up as a deployment would be (payall-hub broker-setup) and N
// hub processes on it and on one PostgreSQL database, sharing one keys folder. `npm run cluster` runs it in the
// foreground; tests and the bench start one to kill hubs and to measure several. Without a database URL it is one
// hub on SQLite in its data folder, behind the same broker: the bench's baseline, measured the same way.

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { SECOND_MS, systemClock, systemRandom, type Clock, type RandomBytes } from '../../protocol/clock'
import { CodedError } from '../../protocol/errors'
import { mosquittoProgram, setUpBroker, type BrokerSetup } from '../mqtt/broker-setup'
import { endText, startChild, type Child } from './child'

export const CLUSTER_HUBS_MAX = 16
export const CLUSTER_BASE_PORT_DEFAULT = 18_830
const START_TIMEOUT_MS_DEFAULT = 60 * SECOND_MS
/** How long a program has to stop after SIGTERM before it gets SIGKILL. */
const STOP_TIMEOUT_MS = 20 * SECOND_MS
const POLL_MS = 100
const HEALTH_REQUEST_TIMEOUT_MS = 2 * SECOND_MS
const HOST = '127.0.0.1'

export type ClusterErrorCode =
  /** An option out of range or of the wrong shape. */
  | 'BAD_OPTION'
  /** An option the cluster needs is not given. */
  | 'MISSING_OPTION'
  /** A port the cluster needs (the broker's, a hub's) is in use. */
  | 'PORT_TAKEN'
  /** The broker or a hub did not come up in time. */
  | 'CLUSTER_START_TIMEOUT'
  /** The broker or a hub ended while the cluster started. */
  | 'CLUSTER_PROGRAM_EXITED'
  /** The start was called off (options.signal). */
  | 'CLUSTER_START_ABORTED'

export class ClusterError extends CodedError<ClusterErrorCode> {
  override readonly name = 'ClusterError'
}

export type ClusterEvent =
  | { readonly kind: 'work-dir'; readonly dir: string; readonly temporary: boolean }
  | { readonly kind: 'broker-ready'; readonly url: string; readonly pid: number }
  | { readonly kind: 'hub-ready'; readonly hub: ClusterHub }
  /** Hub 1 made the operator account; `password` is the generated one, shown only this once (undefined: PAYALL_OPERATOR_PASSWORD). */
  | { readonly kind: 'operator-created'; readonly email: string; readonly password: string | undefined }

export interface ClusterOptions {
  readonly hubs: number
  /** postgres:// or postgresql://, the database every hub shares; undefined: SQLite, which only one hub may use. */
  readonly databaseUrl?: string
  /** The broker listens on basePort, hub K on basePort + K. */
  readonly basePort?: number
  /** A folder kept after the cluster stops; undefined: a temporary one, removed at stop (kept if the start fails). */
  readonly dir?: string
  /** The hubs' environment (PAYALL_OPERATOR_EMAIL and _PASSWORD, PAYALL_LOG_LEVEL…); default process.env. */
  readonly env?: NodeJS.ProcessEnv
  /** Added to env for the hubs: chain settings, a log level. */
  readonly hubEnv?: Readonly<Record<string, string>>
  /** How long the broker, then each hub, has to come up. */
  readonly startTimeout_ms?: number
  /** Calls the start off: what has started is stopped and startCluster rejects with CLUSTER_START_ABORTED. */
  readonly signal?: AbortSignal
  readonly onEvent?: (event: ClusterEvent) => void
  readonly clock?: Clock
  readonly random?: RandomBytes
}

export interface ClusterHub {
  /** 1 to N. */
  readonly index: number
  readonly httpUrl: string
  readonly pid: number
  readonly logFile: string
  kill(signal: NodeJS.Signals): void
  /** Its exit code once it has ended (null if a signal ended it, named by exitSignal). */
  readonly exited: Promise<number | null>
  exitSignal(): NodeJS.Signals | null
}

export interface RunningCluster {
  /** The broker, without a login. */
  readonly brokerUrl: string
  /** The broker with the hubs' login (payall-hub), as the hubs' PAYALL_MQTT_URL. */
  readonly hubLoginUrl: string
  readonly broker: { readonly pid: number; readonly exited: Promise<number | null> }
  readonly hubs: readonly ClusterHub[]
  readonly workDir: string
  /** Stops the hubs (SIGTERM, waited for), then the broker, and removes a temporary work dir. Once; later calls wait for it. */
  stop(): Promise<void>
}

interface Settings {
  readonly hubs: number
  readonly databaseUrl: string | undefined
  readonly basePort: number
  readonly startTimeout_ms: number
  readonly clock: Clock
  readonly signal: AbortSignal | undefined
  readonly emit: (event: ClusterEvent) => void
}

export async function startCluster(options: ClusterOptions): Promise<RunningCluster> {
  const settings = settingsOf(options)
  for (let port = settings.basePort; port <= settings.basePort + settings.hubs; port++) {
    await requireFreePort(port, port === settings.basePort ? 'the broker' : `hub ${port - settings.basePort}`)
  }
  const temporary = options.dir === undefined
  const workDir = temporary ? mkdtempSync(join(tmpdir(), 'payall-cluster-')) : resolve(options.dir!)
  mkdirSync(workDir, { recursive: true, mode: 0o700 })
  settings.emit({ kind: 'work-dir', dir: workDir, temporary })
  let setup: BrokerSetup
  try {
    setup = setUpBroker({ dir: join(workDir, 'broker'), port: settings.basePort, host: HOST, random: options.random ?? systemRandom })
  } catch (error) {
    if (temporary) rmSync(workDir, { recursive: true, force: true })
    throw error
  }
  const started: Child[] = []
  try {
    const broker = startChild(mosquittoProgram('mosquitto'), ['-c', setup.configFile], { env: process.env, logFile: join(workDir, 'mosquitto.log') })
    started.push(broker)
    await waitFor(settings, 'the broker', `${setup.brokerUrl} (log ${broker.logFile})`, () => programEnded(broker, 'the broker'),
      async () => (await accepts(settings.basePort)) ? true : undefined)
    settings.emit({ kind: 'broker-ready', url: setup.brokerUrl, pid: broker.pid })
    // A PAYALL_DATABASE_URL inherited from the environment must not turn a SQLite hub into a PostgreSQL one.
    const { PAYALL_DATABASE_URL: _inherited, ...inherited } = { ...(options.env ?? process.env), ...options.hubEnv }
    const environment: NodeJS.ProcessEnv = {
      ...inherited, PAYALL_MQTT_URL: setup.hubLoginUrl, PAYALL_MQTT_LOGINS: 'dynsec',
      ...(settings.databaseUrl === undefined ? {} : { PAYALL_DATABASE_URL: settings.databaseUrl }),
    }
    const launch = (index: number): Promise<ClusterHub> => startHubProcess(settings, { index, workDir, environment, started })
    // Hub 1 alone first: it migrates the database, makes the shared keys and the operator account.
    const hubs = [await launch(1)]
    hubs.push(...await Promise.all(Array.from({ length: settings.hubs - 1 }, (_, offset) => launch(offset + 2))))
    return runningCluster({ setup, broker, hubs, workDir, temporary, clock: settings.clock })
  } catch (error) {
    await stopChildren(started, settings.clock)
    throw error
  }
}

function settingsOf(options: ClusterOptions): Settings {
  const basePort = options.basePort ?? CLUSTER_BASE_PORT_DEFAULT
  if (!Number.isSafeInteger(options.hubs) || options.hubs < 1 || options.hubs > CLUSTER_HUBS_MAX) {
    throw new ClusterError('BAD_OPTION', `hubs must be a whole number from 1 to ${CLUSTER_HUBS_MAX}, got ${options.hubs}`)
  }
  if (!Number.isSafeInteger(basePort) || basePort < 1024 || basePort + options.hubs > 65_535) {
    throw new ClusterError('BAD_OPTION', `the base port must leave room for the broker and ${options.hubs} hubs between 1024 and 65535, got ${basePort}`)
  }
  if (options.databaseUrl === undefined && options.hubs !== 1) {
    throw new ClusterError('BAD_OPTION', `hubs on SQLite cannot share it: without a database URL the cluster is 1 hub, got ${options.hubs}`)
  }
  if (options.databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(options.databaseUrl)) {
    throw new ClusterError('BAD_OPTION', `the database URL must be postgres://… or postgresql://…, got '${options.databaseUrl}'`)
  }
  return {
    hubs: options.hubs,
    databaseUrl: options.databaseUrl,
    basePort,
    startTimeout_ms: options.startTimeout_ms ?? START_TIMEOUT_MS_DEFAULT,
    clock: options.clock ?? systemClock,
    signal: options.signal,
    emit: options.onEvent ?? (() => undefined),
  }
}

/** A hub process on port basePort + index, ready once it has printed its banner and /health answers. */
async function startHubProcess(
  settings: Settings, { index, workDir, environment, started }: { index: number; workDir: string; environment: NodeJS.ProcessEnv; started: Child[] },
): Promise<ClusterHub> {
  const httpUrl = `http://${HOST}:${settings.basePort + index}`
  const banner = new BannerReader()
  const child = startChild(process.execPath, [
    hubCli(), '--data-dir', join(workDir, `hub-${index}`), '--keys-dir', join(workDir, 'keys'),
    '--http-host', HOST, '--http-port', String(settings.basePort + index),
  ], { env: environment, logFile: join(workDir, `hub-${index}.log`), onLine: line => banner.read(line) })
  started.push(child)
  await waitFor(settings, `hub ${index}`, `${httpUrl} (log ${child.logFile})`, () => programEnded(child, `hub ${index}`),
    async () => banner.running && await healthy(httpUrl) ? true : undefined)
  const hub: ClusterHub = {
    index,
    httpUrl,
    pid: child.pid,
    logFile: child.logFile,
    kill: signal => child.kill(signal),
    exited: child.ended.then(end => end.code),
    exitSignal: () => child.end()?.signal ?? null,
  }
  settings.emit({ kind: 'hub-ready', hub })
  if (banner.operatorEmail !== undefined) settings.emit({ kind: 'operator-created', email: banner.operatorEmail, password: banner.operatorPassword })
  return hub
}

/**
 * The hub's start banner (hub/cli.ts) as its lines arrive: that it runs, and the operator account a first start
 * made. The banner is one write of less than a pipe's atomic size, so its lines all arrive together.
 */
class BannerReader {
  running = false
  operatorEmail: string | undefined
  operatorPassword: string | undefined

  read(line: string): void {
    if (/^payall-hub \S+ is running$/.test(line)) this.running = true
    const created = /^First start: created the operator account (\S+)/.exec(line)
    if (created !== null) this.operatorEmail = created[1]
    const password = /^ {2}password: (\S+)$/.exec(line)
    if (password !== null && this.operatorEmail !== undefined) this.operatorPassword = password[1]
  }
}

/**
 * The hub's command line, compiled: next to this file once built (dist/hub/cluster/ → dist/hub/cli.js), or in dist/
 * when this file runs as TypeScript under a test's loader.
 */
function hubCli(): string {
  return __filename.endsWith('.ts') ? join(__dirname, '..', '..', 'dist', 'hub', 'cli.js') : join(__dirname, '..', 'cli.js')
}

function runningCluster(
  { setup, broker, hubs, workDir, temporary, clock }:
  { setup: { brokerUrl: string; hubLoginUrl: string }; broker: Child; hubs: ClusterHub[]; workDir: string; temporary: boolean; clock: Clock },
): RunningCluster {
  let stopping: Promise<void> | undefined
  return {
    brokerUrl: setup.brokerUrl,
    hubLoginUrl: setup.hubLoginUrl,
    broker: { pid: broker.pid, exited: broker.ended.then(end => end.code) },
    hubs,
    workDir,
    stop() {
      stopping ??= (async () => {
        await Promise.all(hubs.map(hub => stopProgram(hub, clock)))
        await stopProgram({ kill: signal => broker.kill(signal), exited: broker.ended }, clock)
        if (temporary) rmSync(workDir, { recursive: true, force: true })
      })()
      return stopping
    },
  }
}

/** The programs a failed start had started, hubs before the broker (which was started first). */
async function stopChildren(started: readonly Child[], clock: Clock): Promise<void> {
  const [broker, ...hubs] = started
  await Promise.all(hubs.map(hub => stopProgram({ kill: signal => hub.kill(signal), exited: hub.ended }, clock)))
  if (broker !== undefined) await stopProgram({ kill: signal => broker.kill(signal), exited: broker.ended }, clock)
}

/** SIGTERM, then SIGKILL if it has not ended within STOP_TIMEOUT_MS; resolves once it has ended. */
async function stopProgram(program: { kill(signal: NodeJS.Signals): void; exited: Promise<unknown> }, clock: Clock): Promise<void> {
  program.kill('SIGTERM')
  let cancel = (): void => undefined
  const late = new Promise<'late'>(resolve => {
    cancel = clock.setTimer(() => resolve('late'), STOP_TIMEOUT_MS)
  })
  const outcome = await Promise.race([program.exited, late])
  cancel()
  if (outcome !== 'late') return
  program.kill('SIGKILL')
  await program.exited
}

function programEnded(child: Child, name: string): ClusterError | undefined {
  const end = child.end()
  if (end === undefined) return undefined
  const lastLine = child.tail().trim().split('\n').at(-1) ?? ''
  return new ClusterError('CLUSTER_PROGRAM_EXITED', `${name} ${endText(end)} before it came up${lastLine === '' ? '' : `: ${lastLine}`} `
    + `(log ${child.logFile})`)
}

/**
 * Polls `attempt` every POLL_MS until it gives a value; fails at once if `failed` names a reason or the start is
 * called off, and with CLUSTER_START_TIMEOUT once the start timeout has passed.
 */
async function waitFor<T>(
  settings: Settings, name: string, where: string, failed: () => Error | undefined, attempt: () => Promise<T | undefined>,
): Promise<T> {
  const deadline_ms = settings.clock.now_ms() + settings.startTimeout_ms
  const attempts_max = Math.ceil(settings.startTimeout_ms / POLL_MS) + 1
  for (let attempts = 0; attempts < attempts_max; attempts++) {
    if (settings.signal?.aborted === true) throw new ClusterError('CLUSTER_START_ABORTED', `the start was called off while waiting for ${name}`)
    const reason = failed()
    if (reason !== undefined) throw reason
    const value = await attempt()
    if (value !== undefined) return value
    if (settings.clock.now_ms() >= deadline_ms) break
    await new Promise(resolve => settings.clock.setTimer(() => resolve(undefined), POLL_MS))
  }
  throw new ClusterError('CLUSTER_START_TIMEOUT', `${name} did not come up within ${settings.startTimeout_ms / SECOND_MS} s: ${where}`)
}

async function healthy(httpUrl: string): Promise<boolean> {
  try {
    const response = await fetch(`${httpUrl}/health`, { signal: AbortSignal.timeout(HEALTH_REQUEST_TIMEOUT_MS) })
    return response.ok && ((await response.json()) as { status?: unknown }).status === 'ok'
  } catch {
    return false
  }
}

/** Whether something accepts TCP connections on the cluster's host at `port`. */
function accepts(port: number): Promise<boolean> {
  return new Promise(resolve => {
    const socket = connect({ port, host: HOST })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

async function requireFreePort(port: number, user: string): Promise<void> {
  const server = createServer()
  const free = await new Promise<boolean>(resolve => {
    server.once('error', () => resolve(false))
    server.listen(port, HOST, () => resolve(true))
  })
  if (free) await new Promise(resolve => server.close(resolve))
  else throw new ClusterError('PORT_TAKEN', `port ${port}, for ${user}, is in use on ${HOST}: give another base port`)
}
