// `payall-sim fault` and `payall-sim soak`: the flags read, the runs played, what they found
// printed; the exit code says whether every invariant held (0), one failed (1), the arguments
// were bad (2) or a run could not be carried out at all (3), as for `payall-sim run`.

import { errorText } from '../../protocol/errors'
import { FleetError } from '../fleet/errors'
import { FleetArgumentError } from '../fleet/options'
import { ProgressBar, type ProgressStream } from '../fleet/progress'
import type { FleetHooks } from '../fleet/run'
import { parseFaultOptions, parseSoakOptions } from './options'
import { runFaultSeries } from './run'
import { runSoak } from './soak'
import { runText, seriesText, soakText } from './summary'

export interface FaultCommandIo {
  out(text: string): void
  err(text: string): void
  readonly progress: ProgressStream | undefined
  readonly env: Record<string, string | undefined>
  readonly hooks?: Pick<FleetHooks, 'beforeCheck'>
  stopSignal?(): Promise<void>
}

const EXIT_OK = 0
const EXIT_INVARIANT_FAILED = 1
const EXIT_BAD_ARGUMENTS = 2
const EXIT_RUN_FAILED = 3

export async function faultCommand(args: readonly string[], io: FaultCommandIo): Promise<number> {
  let options
  try {
    options = parseFaultOptions(args)
  } catch (error) {
    return badArguments('fault', error, io)
  }
  const signal = stopSignal(io, 'fault')
  return carriedOut('fault', io, async () => {
    const results = await runFaultSeries(options.seed, options.runs, options.kinds, io.env, {
      signal, ...(io.hooks?.beforeCheck !== undefined && { beforeCheck: io.hooks.beforeCheck }),
      onRun: (result, index) => {
        if (!options.json) io.out(runText(result, index, options.runs, options.kinds))
      },
    })
    if (options.json) io.out(`${JSON.stringify({ seed: options.seed, kinds: options.kinds, ok: results.every(result => result.ok), runs: results })}\n`)
    else io.out(seriesText(results))
    return results.every(result => result.ok) ? EXIT_OK : EXIT_INVARIANT_FAILED
  })
}

export async function soakCommand(args: readonly string[], io: FaultCommandIo): Promise<number> {
  let options
  try {
    options = parseSoakOptions(args)
  } catch (error) {
    return badArguments('soak', error, io)
  }
  const signal = stopSignal(io, 'soak')
  const bar = options.json || io.progress === undefined ? undefined : new ProgressBar(io.progress, 'seconds')
  io.err(`payall-sim soak: ${options.minutes} minutes of fault runs from seed ${options.seed}\n`)
  return carriedOut('soak', io, async () => {
    bar?.update(0, options.minutes * 60, '0 runs')
    const totals = await runSoak(options, io.env, {
      signal, ...(bar !== undefined && { bar }),
      onRun: result => {
        if (result.ok || options.json) return
        bar?.finish()
        io.out(runText(result, 0, 1, options.kinds))
      },
    })
    bar?.finish()
    io.out(options.json ? `${JSON.stringify(totals)}\n` : soakText(totals, options.kinds))
    return totals.failedSeeds.length === 0 ? EXIT_OK : EXIT_INVARIANT_FAILED
  })
}

function badArguments(command: string, error: unknown, io: FaultCommandIo): number {
  if (!(error instanceof FleetArgumentError)) throw error
  for (const problem of error.problems) io.err(`payall-sim ${command}: ${problem.flag}: ${problem.message}\n`)
  io.err('(see payall-sim --help)\n')
  return EXIT_BAD_ARGUMENTS
}

/** Aborted on Ctrl-C: the series stops before its next run. */
function stopSignal(io: FaultCommandIo, command: string): AbortSignal {
  const interrupt = new AbortController()
  void io.stopSignal?.().then(() => {
    io.err(`payall-sim ${command}: stopping…\n`)
    interrupt.abort()
  })
  return interrupt.signal
}

async function carriedOut(command: string, io: FaultCommandIo, play: () => Promise<number>): Promise<number> {
  try {
    return await play()
  } catch (error) {
    if (error instanceof FleetError && error.code === 'NO_OPERATOR_CREDENTIALS') {
      io.err(`payall-sim ${command}: ${errorText(error)}\n`)
      return EXIT_BAD_ARGUMENTS
    }
    if (error instanceof FleetError) {
      io.err(`payall-sim ${command}: the runs could not be carried out: ${errorText(error)}\n`)
      return EXIT_RUN_FAILED
    }
    throw error
  }
}
