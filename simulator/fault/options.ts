// The flags of `payall-sim fault` and `payall-sim soak`, every bad one named at once, as `run` does.

import { randomBytes } from 'node:crypto'
import { parseArgs } from 'node:util'
import type { FaultKind } from '../fleet/faults'
import { FleetArgumentError, type FlagProblem } from '../fleet/options'
import { DEFAULT_FAULT_KINDS, parseFaultKinds } from './plan'

export interface FaultOptions {
  readonly seed: string
  readonly runs: number
  readonly kinds: readonly FaultKind[]
  readonly json: boolean
}

export interface SoakOptions {
  /** Where the series starts; a fresh random one unless given. */
  readonly seed: string
  readonly minutes: number
  readonly kinds: readonly FaultKind[]
  readonly json: boolean
}

export const FAULT_DEFAULTS = { seed: '1', runs: 1 } as const
const RUNS_MAX = 100_000
export const SOAK_MINUTES_DEFAULT = 10
const SOAK_MINUTES_MAX = 7 * 24 * 60
/** A seed leaves room for the run numbers appended to it (runSeed), within the 64 characters any seed may have. */
const SEED_PATTERN = /^[0-9A-Za-z._-]{1,48}$/

export function parseFaultOptions(args: readonly string[]): FaultOptions {
  const { values, problems } = parse(args, { seed: { type: 'string' }, runs: { type: 'string' }, faults: { type: 'string' }, json: { type: 'boolean' } })
  const seed = checkSeed(values.seed as string | undefined ?? FAULT_DEFAULTS.seed, problems)
  const runs = wholeNumber(values.runs as string | undefined, '--runs', FAULT_DEFAULTS.runs, 1, RUNS_MAX, problems)
  const kinds = faultKinds(values.faults as string | undefined, problems)
  if (problems.length > 0) throw new FleetArgumentError(problems)
  return { seed, runs, kinds, json: values.json === true }
}

export function parseSoakOptions(args: readonly string[]): SoakOptions {
  const { values, problems } = parse(args, { seed: { type: 'string' }, minutes: { type: 'string' }, faults: { type: 'string' }, json: { type: 'boolean' } })
  const given = values.seed as string | undefined
  const seed = given === undefined ? `soak-${randomBytes(4).toString('hex')}` : checkSeed(given, problems)
  const minutes = wholeNumber(values.minutes as string | undefined, '--minutes', SOAK_MINUTES_DEFAULT, 1, SOAK_MINUTES_MAX, problems)
  const kinds = faultKinds(values.faults as string | undefined, problems)
  if (problems.length > 0) throw new FleetArgumentError(problems)
  return { seed, minutes, kinds, json: values.json === true }
}

/** The --faults flag that gives `kinds` back, or nothing for the default set. */
export function faultsFlag(kinds: readonly FaultKind[]): string {
  const same = kinds.length === DEFAULT_FAULT_KINDS.length && kinds.every(kind => DEFAULT_FAULT_KINDS.includes(kind))
  return same ? '' : ` --faults ${kinds.join(',')}`
}

type Flags = Record<string, { type: 'string' | 'boolean' }>

function parse(args: readonly string[], options: Flags): { values: Record<string, string | boolean | undefined>; problems: FlagProblem[] } {
  try {
    const { values } = parseArgs({ args: [...args], options, strict: true, allowPositionals: false })
    return { values, problems: [] }
  } catch (error) {
    const flag = /'(--?[A-Za-z0-9-]+)/.exec((error as Error).message)?.[1] ?? 'arguments'
    throw new FleetArgumentError([{ flag, message: (error as Error).message }])
  }
}

function checkSeed(seed: string, problems: FlagProblem[]): string {
  if (!SEED_PATTERN.test(seed)) problems.push({ flag: '--seed', message: `must be 1 to 48 letters, digits, ".", "_" or "-", got "${seed}"` })
  return seed
}

function wholeNumber(raw: string | undefined, flag: string, fallback: number, min: number, max: number, problems: FlagProblem[]): number {
  if (raw === undefined) return fallback
  const value = Number(raw)
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
    problems.push({ flag, message: `must be a whole number from ${min} to ${max}, got "${raw}"` })
    return fallback
  }
  return value
}

function faultKinds(raw: string | undefined, problems: FlagProblem[]): readonly FaultKind[] {
  if (raw === undefined) return DEFAULT_FAULT_KINDS
  try {
    return parseFaultKinds(raw)
  } catch (error) {
    problems.push({ flag: '--faults', message: (error as Error).message })
    return DEFAULT_FAULT_KINDS
  }
}
