// A hub in a child process (payall-hub on a data directory), for the fault simulation: it can be
// killed with SIGKILL at any instant and started again on the same data directory and ports, so the
// gateways' broker URL and the operator's token stay good across the restart.

import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { extname, join } from 'node:path'
import { systemClock } from '../../protocol/clock'
import { DATABASE_FILE } from '../../hub/server'
import { HubApi } from '../hub-api'
import { FleetError } from './errors'
import { SIM_OPERATOR, type FleetHub, type OperatorEnv } from './hub'

/** How long a hub may take to print where it serves: a cold start compiles nothing, but the machine may be busy. */
const START_TIMEOUT_MS = 60_000
/** How long a hub has to stop on SIGTERM (finishing what it holds) before it is killed. */
const STOP_TIMEOUT_MS = 30_000
/** Lines of the hub's stderr kept, to say why it did not start. */
const STDERR_LINES_KEPT = 20

interface Listening {
  readonly httpPort: number
  readonly mqttPort: number
}

export class HubProcess implements FleetHub {
  readonly embedded = undefined
  private child: ChildProcess | undefined
  /** The restart under way after a kill, if any. */
  private restarting: Promise<void> | undefined
  kills = 0

  private constructor(
    private readonly dataDir: string,
    private readonly env: Record<string, string>,
    private readonly listening: Listening,
    child: ChildProcess,
    readonly url: string,
    readonly operator: HubApi,
    readonly hadData: boolean,
  ) {
    this.child = child
  }

  /** Starts `payall-hub` on `dataDir` with free loopback ports and logs in as its operator; `hubEnv` adds settings (a chain). */
  static async start(dataDir: string, operatorEnv: OperatorEnv, hubEnv: Readonly<Record<string, string>> = {}): Promise<HubProcess> {
    const hadData = existsSync(join(dataDir, DATABASE_FILE))
    const email = operatorEnv.PAYALL_OPERATOR_EMAIL ?? SIM_OPERATOR.email
    const password = operatorEnv.PAYALL_OPERATOR_PASSWORD ?? SIM_OPERATOR.password
    const env = { ...hubEnv, PAYALL_OPERATOR_EMAIL: email, PAYALL_OPERATOR_PASSWORD: password }
    const { child, listening } = await spawnHub(dataDir, env, { httpPort: 0, mqttPort: 0 })
    try {
      const url = `http://127.0.0.1:${listening.httpPort}`
      const operator = await new HubApi(url).as(email, password)
      return new HubProcess(dataDir, env, listening, child, url, operator, hadData)
    } catch (error) {
      await stopChild(child, 'SIGKILL')
      throw error
    }
  }

  /**
   * Kills the hub with SIGKILL now, wherever it is, and starts it again on the same data and ports (see whenUp).
   * False when there was no hub to kill: one restarting already.
   */
  kill(): boolean {
    const child = this.child
    if (child === undefined || this.restarting !== undefined) return false
    this.child = undefined
    this.kills++
    child.kill('SIGKILL')
    this.restarting = (async () => {
      // The lock file names a dead pid only once the process is reaped: wait for its exit.
      await exited(child)
      const { child: next } = await spawnHub(this.dataDir, this.env, this.listening)
      this.child = next
    })().finally(() => {
      this.restarting = undefined
    })
    // Whoever waits for the hub learns a failed restart from whenUp().
    this.restarting.catch(() => undefined)
    return true
  }

  /** Its SQLite database file. */
  get databasePath(): string {
    return join(this.dataDir, DATABASE_FILE)
  }

  /** Resolves once the hub serves again after a kill (at once when it was not killed). */
  async whenUp(): Promise<void> {
    await this.restarting
  }

  /** Stops the hub gracefully (SIGTERM: it finishes what it holds), after a restart under way. */
  async stop(): Promise<void> {
    await this.restarting?.catch(() => undefined)
    const child = this.child
    this.child = undefined
    if (child !== undefined) await stopChild(child, 'SIGTERM')
  }
}

/** payall-hub's entry point next to this file: the compiled one, or the TypeScript one under tsx. */
function hubEntryPoint(): string {
  return join(__dirname, '..', '..', 'hub', `cli${extname(__filename)}`)
}

function spawnHub(dataDir: string, env: Record<string, string>, ports: Listening): Promise<{ child: ChildProcess; listening: Listening }> {
  const child = spawn(process.execPath, [
    ...process.execArgv, hubEntryPoint(), '--data-dir', dataDir, '--http-port', String(ports.httpPort),
    '--mqtt-port', String(ports.mqttPort), '--log-level', 'silent',
  ], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  // A simulator that ends (Ctrl-C twice, a crash) takes its hub with it.
  const killOnExit = (): void => {
    child.kill('SIGKILL')
  }
  process.once('exit', killOnExit)
  child.once('exit', () => process.off('exit', killOnExit))
  const stderr: string[] = []
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr.push(...chunk.toString().split('\n').filter(line => line !== ''))
    stderr.splice(0, Math.max(0, stderr.length - STDERR_LINES_KEPT))
  })
  return new Promise((resolve, reject) => {
    let output = ''
    const fail = (why: string): void => {
      cancelTimer()
      child.kill('SIGKILL')
      reject(new FleetError('HUB_UNREACHABLE', `the hub in ${dataDir} did not start: ${why}${stderr.length > 0 ? `\n${stderr.join('\n')}` : ''}`))
    }
    const cancelTimer = systemClock.setTimer(() => fail(`no banner within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS)
    const exitedEarly = (code: number | null): void => fail(`it exited with ${code}`)
    child.once('exit', exitedEarly)
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      const http = /HTTP API +http:\/\/[^:\s]+:(\d+)/.exec(output)
      const mqtt = /MQTT +mqtt:\/\/[^:\s]+:(\d+)/.exec(output)
      if (http === null || mqtt === null) return
      cancelTimer()
      child.off('exit', exitedEarly)
      child.stdout!.removeAllListeners('data')
      child.stdout!.resume()
      resolve({ child, listening: { httpPort: Number(http[1]), mqttPort: Number(mqtt[1]) } })
    })
  })
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise(resolve => child.once('exit', () => resolve()))
}

/** Signals the child and waits for its exit; one that has not gone within STOP_TIMEOUT_MS is killed. */
async function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  const gone = exited(child)
  child.kill(signal)
  const cancel = systemClock.setTimer(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS)
  await gone
  cancel()
}
