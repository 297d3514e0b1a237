// `payall-sim counter`: a whole counter on one laptop in one command. A hub on embedded defaults
// (or one already running), a gateway ordered, validated and provisioned the way a shop gets
// one, then `payall-terminal run --simulate` on it: the real drivers against the emulated PN532
// and printer, the console as keypad and display, a virtual phone to tap.

import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { main as terminalMain, type CliIo } from '../../terminal/cli'
import { orderAndProvision } from '../fleet/enroll'
import { connectToHub, SIM_OPERATOR, startEmbeddedHub, type FleetHub, type OperatorEnv } from '../fleet/hub'
import { SeededRandom } from '../fleet/seeded-random'

export interface CounterOptions {
  /** Keep the embedded hub's data and the gateway's here instead of a temporary directory. */
  readonly dataDir: string | undefined
  /** A hub already running; the counter's gateway is ordered there, as its operator. */
  readonly hubUrl: string | undefined
}

/**
 * Plays the counter until `terminal.stopSignal()` resolves; returns `payall-terminal run`'s exit
 * code. `terminal` carries the console, the stop signal and where text goes.
 */
export async function playCounter(options: CounterOptions, env: OperatorEnv, terminal: CliIo): Promise<number> {
  const keepData = options.dataDir !== undefined
  const workDir = keepData ? resolve(options.dataDir!) : mkdtempSync(join(tmpdir(), 'payall-counter-'))
  let hub: FleetHub | undefined
  try {
    hub = options.hubUrl === undefined ? await startEmbeddedHub(join(workDir, 'hub'), env) : await connectToHub(options.hubUrl, env)
    // A new gateway each time: an embedded hub takes new ports on every start, and a gateway pins
    // the addresses it was provisioned with. On a hub that holds earlier runs, names get a tag.
    const tag = hub.hadData ? `-${randomBytes(4).toString('hex')}` : ''
    const [gateway] = await orderAndProvision(hub.operator, 1, join(workDir, 'counters'), new SeededRandom(randomBytes(16).toString('hex')), { tag })
    gateway!.store.close()
    const operator = {
      PAYALL_OPERATOR_EMAIL: env.PAYALL_OPERATOR_EMAIL ?? SIM_OPERATOR.email,
      PAYALL_OPERATOR_PASSWORD: env.PAYALL_OPERATOR_PASSWORD ?? SIM_OPERATOR.password,
    }
    terminal.out([
      `hub      ${hub.url}${hub.embedded === undefined ? '' : ` (operator ${operator.PAYALL_OPERATOR_EMAIL} / "${operator.PAYALL_OPERATOR_PASSWORD}")`}`,
      `gateway  ${gateway!.eui} in ${gateway!.dataDir}${keepData ? '' : ' (removed on exit)'}`,
      '',
    ].join('\n'))
    return await terminalMain(['run', '--simulate', '--data-dir', gateway!.dataDir], { ...terminal, env: { ...terminal.env, ...operator } })
  } finally {
    await hub?.stop()
    if (!keepData) rmSync(workDir, { recursive: true, force: true })
  }
}
