// The hub a fleet runs against: one started here on embedded defaults (SQLite in a data directory,
// the embedded broker, loopback only), or one already running that the fleet reaches over REST as
// its operator. Either way the fleet only talks to it the way terminals, phones and operators do.

import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { parseConfig, type HubConfig } from '../../hub/config'
import { DATABASE_FILE, startHub, type RunningHub } from '../../hub/server'
import { HubApi } from '../hub-api'
import { FleetError } from './errors'

/** The operator of a hub the simulator starts itself, unless PAYALL_OPERATOR_* say otherwise. */
export const SIM_OPERATOR = { email: 'operator@sim.payall.example', password: 'simulator operator password' }

export interface FleetHub {
  readonly url: string
  readonly operator: HubApi
  /** Set when this process started the hub. */
  readonly embedded: RunningHub | undefined
  /** The hub held data before this run (a running hub, or a reused --data): names must not collide. */
  readonly hadData: boolean
  stop(): Promise<void>
}

export interface OperatorEnv {
  readonly PAYALL_OPERATOR_EMAIL?: string | undefined
  readonly PAYALL_OPERATOR_PASSWORD?: string | undefined
}

/** Starts a hub on embedded defaults with its data in `dataDir`, HTTP and MQTT on free loopback ports; `extra` config on top. */
export async function startEmbeddedHub(dataDir: string, env: OperatorEnv, extra: Partial<HubConfig> = {}): Promise<FleetHub> {
  const hadData = existsSync(join(dataDir, DATABASE_FILE))
  const email = env.PAYALL_OPERATOR_EMAIL ?? SIM_OPERATOR.email
  const password = env.PAYALL_OPERATOR_PASSWORD ?? SIM_OPERATOR.password
  const hub = await startHub({
    ...parseConfig([], { PAYALL_OPERATOR_EMAIL: email, PAYALL_OPERATOR_PASSWORD: password }),
    dataDir, httpHost: '127.0.0.1', httpPort: 0, mqttHost: '127.0.0.1', mqttPort: 0, logLevel: 'silent', ...extra,
  })
  try {
    const operator = await new HubApi(hub.httpUrl).as(email, password)
    return { url: hub.httpUrl, operator, embedded: hub, hadData, stop: () => hub.stop() }
  } catch (error) {
    await hub.stop()
    throw error
  }
}

/** Logs in to a running hub as the operator named by PAYALL_OPERATOR_EMAIL and PAYALL_OPERATOR_PASSWORD. */
export async function connectToHub(url: string, env: OperatorEnv): Promise<FleetHub> {
  const email = env.PAYALL_OPERATOR_EMAIL
  const password = env.PAYALL_OPERATOR_PASSWORD
  if (email === undefined || email === '' || password === undefined || password === '') {
    throw new FleetError('NO_OPERATOR_CREDENTIALS', '--hub needs the operator\'s login in PAYALL_OPERATOR_EMAIL and PAYALL_OPERATOR_PASSWORD')
  }
  let operator: HubApi
  try {
    operator = await new HubApi(url).as(email, password)
  } catch (error) {
    if (error instanceof TypeError) {
      throw new FleetError('HUB_UNREACHABLE', `no hub answers at ${url}: ${(error.cause as Error | undefined)?.message ?? error.message}`, { cause: error })
    }
    throw error
  }
  return { url, operator, embedded: undefined, hadData: true, stop: async () => undefined }
}
