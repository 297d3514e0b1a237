// Runs `payall-sim` through its entry point in this process, capturing what it prints.

import { main, type SimIo } from '../../simulator/cli'
import type { FleetReport } from '../../simulator/fleet/run'

export function sim(env: Record<string, string | undefined> = {}, hooks?: SimIo['hooks'], stopSignal?: SimIo['stopSignal']) {
  const out: string[] = []
  const err: string[] = []
  const progress: string[] = []
  const io: SimIo = {
    out: text => { out.push(text) },
    err: text => { err.push(text) },
    progress: { write: (text: string) => progress.push(text), columns: 80 },
    env,
    ...(hooks === undefined ? {} : { hooks }),
    ...(stopSignal === undefined ? {} : { stopSignal }),
  }
  return {
    async run(...argv: string[]) {
      const code = await main(argv, io)
      return { code, out: out.join(''), err: err.join(''), progress: progress.join('') }
    },
  }
}

/** The outcome of a run: everything but where the hub listened and how long it took. */
export function outcome(report: FleetReport) {
  const { hub: _hub, seconds: _seconds, ...rest } = report
  return rest
}
