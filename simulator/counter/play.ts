// `payall-sim counter`: a whole counter on one laptop in one command. A hub on embedded defaults
// (or one already running), a gateway ordered, validated and provisioned the way a shop gets
// one, then `payall-terminal run --simulate` on it: the real drivers against the emulated PN532
// and printer, the console as keypad and display, a virtual phone to tap. With `lora`, a
// simulated ChirpStack network too: the hub listens to it, the counter's RAK3172 emulator joins
// it and reports every minute while the network is cut, and what the hub heard is shown.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { toHex } from '../../protocol/bytes'
import { systemClock, systemRandom } from '../../protocol/clock'
import { errorText } from '../../protocol/errors'
import { main as terminalMain, type CliIo } from '../../terminal/cli'
import { orderAndProvision } from '../fleet/enroll'
import { connectToHub, SIM_OPERATOR, startEmbeddedHub, type FleetHub, type OperatorEnv } from '../fleet/hub'
import { SeededRandom } from '../fleet/seeded-random'
import { SimulatedLoraNetwork } from './lora-network'

/** With LoRa, a report a minute while the network is cut (the terminal's shortest interval). */
const LORA_INTERVAL_MINUTES = 1

export interface CounterOptions {
  /** Keep the embedded hub's data and the gateway's here instead of a temporary directory. */
  readonly dataDir: string | undefined
  /** A hub already running; the counter's gateway is ordered there, as its operator. */
  readonly hubUrl: string | undefined
  /** A simulated LoRaWAN network the embedded hub listens to and the counter's modem joins. */
  readonly lora: boolean
}

/**
 * Plays the counter until `terminal.stopSignal()` resolves; returns `payall-terminal run`'s exit
 * code. `terminal` carries the console, the stop signal and where text goes.
 */
export async function playCounter(options: CounterOptions, env: OperatorEnv, terminal: CliIo): Promise<number> {
  const keepData = options.dataDir !== undefined
  const workDir = keepData ? resolve(options.dataDir!) : mkdtempSync(join(tmpdir(), 'payall-counter-'))
  const removeWorkDir = (): void => {
    rmSync(workDir, { recursive: true, force: true })
    terminal.out(`removed ${workDir}\n`)
  }
  // A second Ctrl-C ends the process before the finally below: the folder goes all the same.
  if (!keepData) process.once('exit', removeWorkDir)
  let hub: FleetHub | undefined
  let network: SimulatedLoraNetwork | undefined
  let unsubscribe: (() => void) | undefined
  try {
    if (options.lora) network = await SimulatedLoraNetwork.start(systemClock, systemRandom)
    hub = options.hubUrl === undefined
      ? await startEmbeddedHub(join(workDir, 'hub'), env, network === undefined ? {} : {
        loraMqttUrl: network.brokerUrl, loraFormat: 'chirpstack', loraApplication: network.applicationId,
      })
      : await connectToHub(options.hubUrl, env)
    // A new gateway each time: an embedded hub takes new ports on every start, and a gateway pins
    // the addresses it was provisioned with. On a hub that holds earlier runs, names get a tag.
    const tag = hub.hadData ? `-${toHex(systemRandom(4))}` : ''
    const [gateway] = await orderAndProvision(hub.operator, 1, join(workDir, 'counters'), new SeededRandom(toHex(systemRandom(16))), { tag })
    const gatewayId = gateway!.store.requireHubPin().gatewayId
    gateway!.store.close()
    const operator = {
      PAYALL_OPERATOR_EMAIL: env.PAYALL_OPERATOR_EMAIL ?? SIM_OPERATOR.email,
      PAYALL_OPERATOR_PASSWORD: env.PAYALL_OPERATOR_PASSWORD ?? SIM_OPERATOR.password,
    }
    terminal.out([
      `hub      ${hub.url}${hub.embedded === undefined ? '' : ` (operator ${operator.PAYALL_OPERATOR_EMAIL} / "${operator.PAYALL_OPERATOR_PASSWORD}")`}`,
      `gateway  ${gateway!.eui} in ${gateway!.dataDir}${keepData ? '' : ' (removed on exit)'}`,
      ...(network === undefined ? [] : [`lora     ChirpStack v4 (simulated) at ${network.brokerUrl}, application ${network.applicationId}`]),
      '',
    ].join('\n'))
    const argv = ['run', '--simulate', '--data-dir', gateway!.dataDir]
    const lora = hub.embedded?.lora
    if (network !== undefined && lora !== undefined) {
      const configFile = join(workDir, `terminal-${gateway!.eui}.json`)
      writeFileSync(configFile, JSON.stringify({ loraIntervalMinutes: LORA_INTERVAL_MINUTES }))
      argv.push('--config', configFile)
      const operatorApi = hub.operator
      unsubscribe = lora.reports.subscribe(outcome => {
        if (!outcome.taken) {
          terminal.out(`hub: a LoRa uplink was refused: ${errorText(outcome.error)}\n`)
          return
        }
        // What the operator's gateway view shows of it.
        operatorApi.ok('GET', `/gateways/${gatewayId}/lora`).then(({ lastReport }) => terminal.out(
          `hub: LoRa report heard (head #${lastReport.gatewaySeq}, ${lastReport.unsyncedCount} unsynced, `
            + `RSSI ${lastReport.rssi} dBm; records over IP: ${outcome.check.state})\n`,
        ), (error: Error) => terminal.err(`hub: LoRa reports: ${errorText(error)}\n`))
      })
    }
    return await terminalMain(argv, {
      ...terminal, env: { ...terminal.env, ...operator }, ...(network !== undefined && { loraNetwork: network }),
    })
  } finally {
    unsubscribe?.()
    await hub?.stop()
    await network?.close()
    if (keepData) terminal.out(`the hub's and the gateway's data are kept in ${workDir}\n`)
    else {
      process.off('exit', removeWorkDir)
      removeWorkDir()
    }
  }
}
