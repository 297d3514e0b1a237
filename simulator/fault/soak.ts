// `payall-sim soak` (`npm run soak -- --minutes M`): fault runs back to back, from one seed, until
// the time is up; a progress line while it runs, each failed run in full as it happens, and a
// table at the end: runs, payments, faults injected by kind, violations.

import type { OperatorEnv } from '../fleet/hub'
import type { ProgressBar } from '../fleet/progress'
import type { SoakOptions } from './options'
import { runSeed } from './plan'
import { runFaults, type FaultRunHooks, type FaultRunResult } from './run'
import { soakTotals, type SoakTotals } from './summary'

export interface SoakHooks extends Pick<FaultRunHooks, 'signal'> {
  readonly bar?: ProgressBar
  /** Each run, as it ends. */
  onRun?(result: FaultRunResult): void
  /** Milliseconds on a monotonic clock; performance.now by default. */
  now_ms?(): number
}

export async function runSoak(options: SoakOptions, env: OperatorEnv, hooks: SoakHooks = {}): Promise<SoakTotals> {
  const now_ms = hooks.now_ms ?? (() => performance.now())
  const started_ms = now_ms()
  const budget_ms = options.minutes * 60_000
  const results: FaultRunResult[] = []
  const elapsedSeconds = (): number => Math.min(Math.round((now_ms() - started_ms) / 1000), options.minutes * 60)
  // A run starts while time is left; the last one may end a little past the budget.
  while (now_ms() - started_ms < budget_ms && hooks.signal?.aborted !== true) {
    const result = await runFaults(runSeed(options.seed, results.length), options.kinds, env, hooks)
    results.push(result)
    hooks.onRun?.(result)
    const failed = results.filter(run => !run.ok).length
    hooks.bar?.update(elapsedSeconds(), options.minutes * 60, `${results.length} runs, ${failed} failed`)
  }
  return soakTotals(options.seed, options.minutes, results, Math.round(now_ms() - started_ms) / 1000)
}
