// Fault runs: each one a fleet run (a hub it can kill, gateways, phones) with the faults its seed
// draws, checked after it ends. A run that fails keeps its seed and the faults that happened, so
// `payall-sim fault --seed <that seed> --runs 1` plays it again.

import { CodedError, errorText } from '../../protocol/errors'
import { FleetError } from '../fleet/errors'
import type { FaultKind, FaultReport } from '../fleet/faults'
import type { OperatorEnv } from '../fleet/hub'
import type { InvariantFailure } from '../fleet/invariants'
import { runFleet, type FleetHooks, type FleetReport } from '../fleet/run'
import { FaultDriver } from './driver'
import { DEFAULT_FAULT_KINDS, drawFaultPlan, runSeed } from './plan'

export interface FaultRunResult {
  readonly seed: string
  readonly ok: boolean
  /** The fleet's report, when the run got as far as its checks. */
  readonly report: FleetReport | null
  /** What stopped the run before its checks (the fleet did not recover), if anything did. */
  readonly error: { readonly code: string; readonly message: string } | null
  /** Invariants that failed, and a run that could not finish as one more failure. */
  readonly failures: readonly InvariantFailure[]
  readonly faults: FaultReport
  readonly seconds: number
}

export interface FaultRunHooks extends Pick<FleetHooks, 'beforeCheck' | 'signal'> {
  /** Each run, as it ends. */
  onRun?(result: FaultRunResult, index: number): void
}

/** Runs `runs` fault runs from `seed` (run i plays runSeed(seed, i)), one after the other. */
export async function runFaultSeries(
  seed: string, runs: number, kinds: readonly FaultKind[], env: OperatorEnv, hooks: FaultRunHooks = {},
): Promise<FaultRunResult[]> {
  const results: FaultRunResult[] = []
  for (let index = 0; index < runs; index++) {
    if (hooks.signal?.aborted === true) break
    const result = await runFaults(runSeed(seed, index), kinds, env, hooks)
    results.push(result)
    hooks.onRun?.(result, index)
  }
  return results
}

/**
 * One fault run. A run the fleet could not finish under its faults (a sync that never completes, a
 * hub that does not come back) is a failed run, with its seed, like one whose invariants failed.
 */
export async function runFaults(
  seed: string, kinds: readonly FaultKind[] = DEFAULT_FAULT_KINDS, env: OperatorEnv = {}, hooks: FaultRunHooks = {},
): Promise<FaultRunResult> {
  const started_ms = performance.now()
  const plan = drawFaultPlan(seed, kinds)
  const driver = new FaultDriver(plan)
  const seconds = (): number => Math.round((performance.now() - started_ms) / 10) / 100
  try {
    const report = await runFleet({ ...plan.fleet, seed, dataDir: undefined, hubUrl: undefined, json: false }, env, {
      faults: driver, ...(hooks.beforeCheck !== undefined && { beforeCheck: hooks.beforeCheck }), ...(hooks.signal !== undefined && { signal: hooks.signal }),
    })
    const { failures } = report.invariants
    return { seed, ok: failures.length === 0, report, error: null, failures, faults: driver.report(), seconds: seconds() }
  } catch (error) {
    if (error instanceof FleetError && (error.code === 'INTERRUPTED' || error.code === 'NO_OPERATOR_CREDENTIALS')) throw error
    // Whatever stopped it, the run is kept with its seed, to be played again.
    const code = error instanceof CodedError ? error.code : (error as Error).name
    return {
      seed, ok: false, report: null, error: { code, message: (error as Error).message },
      failures: [{ invariant: 'fleet-recovers', detail: `the fleet did not recover from its faults: ${errorText(error)}` }],
      faults: driver.report(), seconds: seconds(),
    }
  }
}
