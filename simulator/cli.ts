#!/usr/bin/env node
// payall-sim: fleets of virtual gateways and phones against a real hub. `run` plays a seeded
// fleet and checks the invariants; `fault` and `soak` play fleets with faults drawn from a seed;
// the exit code says whether the invariants held.

import { parseArgs } from 'node:util'
import { CodedError, errorText } from '../protocol/errors'
import { processCliIo, type CliIo } from '../terminal/cli'
import { playCounter } from './counter/play'
import { faultCommand, soakCommand } from './fault/commands'
import { DEFAULT_FAULT_KINDS, FAULT_GROUPS } from './fault/plan'
import { FleetError } from './fleet/errors'
import { hubBaseUrl, hubUrlProblem } from '../protocol/hub-url'
import { DATA_FLAG_RENAMED, FLEET_DEFAULTS, FleetArgumentError, parseFleetOptions, ONE_BY_ONE_MAX, TERMINALS_MAX, CUSTOMERS_MAX, PAYMENTS_MAX } from './fleet/options'
import { SIM_OPERATOR } from './fleet/hub'
import { ProgressBar, type ProgressStream } from './fleet/progress'
import { runFleet, type FleetHooks } from './fleet/run'
import { fleetSummary } from './fleet/summary'
import { FAULT_DEFAULTS, SOAK_MINUTES_DEFAULT } from './fault/options'

export const EXIT_OK = 0
export const EXIT_INVARIANT_FAILED = 1
export const EXIT_BAD_ARGUMENTS = 2
export const EXIT_RUN_FAILED = 3

export const HELP = `payall-sim — run fleets of virtual PayAll gateways and phones against a hub

Usage: payall-sim counter [--data-dir DIR] [--hub URL | --lora]
       payall-sim run [options]
       payall-sim fault [--seed S] [--runs N] [--faults LIST] [--json]
       payall-sim soak [--minutes M] [--seed S] [--faults LIST] [--json]     (npm run soak -- --minutes M)

Example: npx payall-sim counter        (a hub, a gateway and a phone at this console, in one minute)

counter: one counter at this console. Starts a hub (as run does, or uses --hub), has a merchant
order a gateway and the operator validate and provision it, then runs payall-terminal run
--simulate on it: the real NFC and printer drivers against their emulators, a virtual phone with
a voucher. Type an amount and Enter, then t to tap; x cuts or restores the network (payments go
offline, then sync); Enter on an empty amount opens the menu
(refunds, the day report, the next payment's mode); Ctrl-C stops at once (a payment waiting for its tap
is cancelled) and, without --data-dir, removes what it made.
With --lora, a simulated ChirpStack v4 network server too: the hub listens to it, the counter's
RAK3172 emulator joins it, and while the network is cut the counter reports over LoRa every minute.

run: starts a hub (embedded defaults, data in a temporary directory), provisions the terminals, binds
the customers' phones with vouchers, plays the payments from a seeded plan (a share of them with
the terminal's link cut, then restored), waits until every terminal has synced, and checks: money
conserved (the hub's ledger verify), every approved payment settled exactly once, every chain
gapless, every double spend flagged. The same seed gives the same outcome.

Options of run:
  --terminals N            gateways, 1 to ${TERMINALS_MAX} (default ${FLEET_DEFAULTS.terminals})
  --customers M            phones, each with a voucher covering its planned spending, 1 to ${CUSTOMERS_MAX}
                           (default ${FLEET_DEFAULTS.customers}). Up to ${ONE_BY_ONE_MAX.terminals} terminals and ${ONE_BY_ONE_MAX.customers} customers sign up one by one
                           (the hub takes 60 sign-ups per 10 minutes from one address); a larger fleet is
                           provisioned and enrolled by the operator through POST /admin/bulk/gateways and /customers
  --payments P             payments, 0 to ${PAYMENTS_MAX} (default ${FLEET_DEFAULTS.payments})
  --offline-ratio R        share of the payments taken with the terminal's link down, 0 to 1 (default ${FLEET_DEFAULTS.offlineRatio})
  --double-spend-ratio D   share paid by a clone of the customer's phone, re-signing its last payment's
                           place under the voucher, 0 to 1 (default ${FLEET_DEFAULTS.doubleSpendRatio}); flagged ones are expected
  --seed S                 the seed: letters, digits, ".", "_", "-" (default ${FLEET_DEFAULTS.seed})
  --json                   print one JSON object instead of the summary (and no progress bar)
  --data-dir DIR           keep the hub's and the terminals' data in DIR instead of a temporary directory
                           (its operator: PAYALL_OPERATOR_EMAIL and PAYALL_OPERATOR_PASSWORD if set,
                           else ${SIM_OPERATOR.email} / "${SIM_OPERATOR.password}")
  --hub URL                run against a hub already running (http:// assumed without a scheme), as the operator named by
                           PAYALL_OPERATOR_EMAIL and PAYALL_OPERATOR_PASSWORD; the terminals find its
                           broker in their provisioning reply
  -h, --help               show this help

Ctrl-C stops run before its next payment, removes its temporary directory (or says where --data-dir kept
the data) and exits 3.

fault: N fault runs, one after the other. Run i plays the seed S.i (the first one S itself): the seed
draws the fleet (2-3 terminals, 3-5 customers, 16-28 payments), and every fault: MQTT packets between
a gateway and the broker dropped (with their connection), duplicated, delayed or held back behind the
next; a gateway's link partitioned for a few payments; a gateway's power lost at the tap, once its
record is committed, as its records leave or before it reads its ack (it boots again over the same
files); a gateway's clock set off (within the hub's 5 min, beyond them either way, days ahead) and set
right before a payment or mid-tap; the hub killed with SIGKILL as a batch reaches it or with its ack
on the way (and restarted on the same data); an attacker replaying a captured authorization or
forging one; a customer revoking their voucher while the phone pays on; a customer paying with a
voucher past its expiry; a phone pulled away mid-tap; and, as in run, cloned phones. After each run
the invariants of run, and: no transfer settled twice, nothing acked missing from the ledger, every
double spend flagged with its proof, every revoked voucher revoked at every gateway, no hold over its
voucher, no forged or replayed tap approved, no expired voucher approved. A failed run prints its seed, what failed and its faults in order,
and the command that replays it (--seed <its seed> --runs 1).
  --seed S        letters, digits, ".", "_", "-", at most 48 (default ${FAULT_DEFAULTS.seed})
  --runs N        runs (default ${FAULT_DEFAULTS.runs})
  --faults LIST   kinds or groups, comma-separated (default all: ${DEFAULT_FAULT_KINDS.join(', ')});
                  groups: ${Object.entries(FAULT_GROUPS).map(([name, kinds]) => `${name} (${kinds.join(', ')})`).join(', ')}
  --json          one JSON object with every run, its report and its faults

soak: fault runs back to back from one seed (a random one unless --seed), until --minutes M have passed
(default ${SOAK_MINUTES_DEFAULT}); a progress line, each failed run as in fault, and a table: runs, payments,
faults injected by kind, violations.

Exit codes of run, fault and soak: 0 invariants held, 1 an invariant failed, 2 bad arguments, 3 the run could not be carried out.
Exit codes of counter: 0 after a clean stop, 1 if the counter failed, 2 bad arguments, 3 no hub or gateway.
`

export interface SimIo {
  /** For `counter`: the terminal's io (console, stop signal); the process's own by default. */
  readonly terminal?: CliIo
  out(text: string): void
  err(text: string): void
  /** Where a progress bar goes, when stderr is a terminal. */
  readonly progress: ProgressStream | undefined
  readonly env: Record<string, string | undefined>
  /** Test hooks, passed on to the fleet run. */
  readonly hooks?: Pick<FleetHooks, 'beforeCheck'>
  /** Resolves when run should stop (Ctrl-C); never, unless given. */
  stopSignal?(): Promise<void>
}

export async function main(argv: readonly string[], io: SimIo): Promise<number> {
  const [command, ...rest] = argv
  if (command === undefined || command === '--help' || command === '-h' || rest.includes('--help') || rest.includes('-h')) {
    io.out(HELP)
    return EXIT_OK
  }
  if (command === 'counter') return counter(rest, io)
  if (command === 'fault') return faultCommand(rest, io)
  if (command === 'soak') return soakCommand(rest, io)
  if (command !== 'run') {
    io.err(`payall-sim: unknown command "${command}" (see --help)\n`)
    return EXIT_BAD_ARGUMENTS
  }
  let options
  try {
    options = parseFleetOptions(rest)
  } catch (error) {
    if (!(error instanceof FleetArgumentError)) throw error
    for (const problem of error.problems) io.err(`payall-sim run: ${problem.flag}: ${problem.message}\n`)
    io.err('(see payall-sim --help)\n')
    return EXIT_BAD_ARGUMENTS
  }

  const bar = options.json || io.progress === undefined ? undefined : new ProgressBar(io.progress, 'payments')
  const interrupt = new AbortController()
  void io.stopSignal?.().then(() => {
    io.err('payall-sim run: stopping…\n')
    interrupt.abort()
  })
  try {
    const report = await runFleet(options, io.env, {
      signal: interrupt.signal,
      onStarted: (hubUrl, dataDir) => io.err(`payall-sim run: hub ${hubUrl}`
        + `${dataDir === undefined ? '' : `, data in ${dataDir}${options.dataDir === undefined ? ' (removed at the end)' : ''}`}\n`),
      onProgress: (done, total) => bar?.update(done, total),
      ...(io.hooks?.beforeCheck === undefined ? {} : { beforeCheck: io.hooks.beforeCheck }),
    })
    bar?.finish()
    io.out(options.json ? `${JSON.stringify(report)}\n` : fleetSummary(report))
    return report.invariants.ok ? EXIT_OK : EXIT_INVARIANT_FAILED
  } catch (error) {
    bar?.finish()
    if (error instanceof FleetError && error.code === 'NO_OPERATOR_CREDENTIALS') {
      io.err(`payall-sim run: ${errorText(error)}\n`)
      return EXIT_BAD_ARGUMENTS
    }
    if (error instanceof CodedError) {
      io.err(`payall-sim run: the run could not be carried out: ${errorText(error)}\n`)
      return EXIT_RUN_FAILED
    }
    throw error
  }
}

async function counter(argv: readonly string[], io: SimIo): Promise<number> {
  let values
  try {
    values = parseArgs({
      args: [...argv], strict: true, allowPositionals: false,
      options: { 'data-dir': { type: 'string' }, data: { type: 'string' }, hub: { type: 'string' }, lora: { type: 'boolean' } },
    }).values
  } catch (error) {
    io.err(`payall-sim counter: ${(error as Error).message} (see payall-sim --help)\n`)
    return EXIT_BAD_ARGUMENTS
  }
  if (values.data !== undefined) {
    io.err(`payall-sim counter: --data ${DATA_FLAG_RENAMED}\n`)
    return EXIT_BAD_ARGUMENTS
  }
  const hubUrl = values.hub === undefined ? undefined : hubBaseUrl(values.hub)
  if (values.hub !== undefined && hubUrl === undefined) {
    io.err(`payall-sim counter: --hub ${hubUrlProblem(values.hub)}\n`)
    return EXIT_BAD_ARGUMENTS
  }
  if (values['data-dir'] !== undefined && values.hub !== undefined) {
    io.err('payall-sim counter: --data-dir keeps the embedded hub\'s data; with --hub the data is that hub\'s\n')
    return EXIT_BAD_ARGUMENTS
  }
  if (values.lora === true && values.hub !== undefined) {
    io.err('payall-sim counter: --lora starts a simulated network server for the embedded hub to listen to; a running hub (--hub) has its own\n')
    return EXIT_BAD_ARGUMENTS
  }
  try {
    return await playCounter({ dataDir: values['data-dir'], hubUrl, lora: values.lora === true }, io.env, io.terminal ?? { ...processCliIo(), out: io.out, err: io.err })
  } catch (error) {
    if (error instanceof FleetError && error.code === 'NO_OPERATOR_CREDENTIALS') {
      io.err(`payall-sim counter: ${errorText(error)}\n`)
      return EXIT_BAD_ARGUMENTS
    }
    if (error instanceof CodedError) {
      io.err(`payall-sim counter: ${errorText(error)}\n`)
      return EXIT_RUN_FAILED
    }
    throw error
  }
}

if (require.main === module) {
  const io: SimIo = {
    out: text => process.stdout.write(text),
    err: text => process.stderr.write(text),
    progress: process.stderr.isTTY ? process.stderr : undefined,
    env: process.env,
    stopSignal: processCliIo().stopSignal,
  }
  main(process.argv.slice(2), io).then(code => {
    process.exitCode = code
  }, error => {
    process.stderr.write(`payall-sim: ${(error as Error).stack ?? String(error)}\n`)
    process.exitCode = EXIT_RUN_FAILED
  })
}
