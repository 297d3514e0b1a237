// What a fleet run is asked to do, and the parsing of `payall-sim run` flags into it. Every bad
// flag is reported at once, each with its name, so a developer fixes a command line in one go.

import { parseArgs } from 'node:util'
import { hubBaseUrl, hubUrlProblem } from '../../protocol/hub-url'
import { CodedError } from '../../protocol/errors'

/** Whether the fleet is enrolled through the operator's bulk routes rather than one by one. */
export function enrollsInBulk(options: Pick<FleetOptions, 'terminals' | 'customers'>): boolean {
  return options.terminals > ONE_BY_ONE_MAX.terminals || options.customers > ONE_BY_ONE_MAX.customers
}

export interface FleetOptions {
  readonly terminals: number
  readonly customers: number
  readonly payments: number
  /** Share of the payments taken with the terminal's link down, in [0, 1]. */
  readonly offlineRatio: number
  /** Share of the payments made by a cloned phone (its spending state rolled back), in [0, 1]. */
  readonly doubleSpendRatio: number
  readonly seed: string
  /** Keep the hub's data here instead of a temporary directory (embedded hub only). */
  readonly dataDir: string | undefined
  /** A hub already running; the fleet acts as its operator. */
  readonly hubUrl: string | undefined
  readonly json: boolean
}

export const FLEET_DEFAULTS = {
  terminals: 3,
  customers: 10,
  payments: 100,
  offlineRatio: 0.3,
  doubleSpendRatio: 0,
  seed: '1',
} as const

/**
 * The largest fleet enrolled one by one, as a shop and its customers do it: one merchant order holds
 * at most 50 gateways (hub ORDER_ITEMS_MAX), and the hub takes 60 sign-ups per 10 minutes from one
 * address (hub/users/rate-limits.ts), which the merchant and the customers must fit with room for a
 * second run. A larger fleet is provisioned and enrolled by the operator through the bulk routes.
 */
export const ONE_BY_ONE_MAX = { terminals: 50, customers: 50 } as const
/** What one machine runs: every terminal is a full runtime with its own SQLite store, relay and MQTT client. */
export const TERMINALS_MAX = 1_000
export const CUSTOMERS_MAX = 10_000
export const PAYMENTS_MAX = 1_000_000

export interface FlagProblem {
  /** The flag as typed, e.g. `--terminals`. */
  readonly flag: string
  readonly message: string
}

/** Bad command-line input; `problems` names each flag at fault. */
export class FleetArgumentError extends CodedError<'BAD_ARGUMENT'> {
  override readonly name = 'FleetArgumentError'

  constructor(readonly problems: readonly FlagProblem[]) {
    super('BAD_ARGUMENT', problems.map(problem => `${problem.flag}: ${problem.message}`).join('; '))
  }
}

const FLAGS = {
  terminals: { type: 'string' },
  customers: { type: 'string' },
  payments: { type: 'string' },
  'offline-ratio': { type: 'string' },
  'double-spend-ratio': { type: 'string' },
  seed: { type: 'string' },
  'data-dir': { type: 'string' },
  data: { type: 'string' },
  hub: { type: 'string' },
  json: { type: 'boolean' },
} as const

/** The answer to the flag `payall-sim` once had: every program names its data folder the same way now. */
export const DATA_FLAG_RENAMED = 'is now --data-dir DIR, as in payall-hub and payall-terminal'

/** Parses the flags after `run`; throws FleetArgumentError naming every bad one. */
export function parseFleetOptions(args: readonly string[]): FleetOptions {
  let values: Record<string, string | boolean | undefined>
  try {
    values = parseArgs({ args: withValuesAttached(args), options: FLAGS, strict: true, allowPositionals: false }).values
  } catch (error) {
    // node:util names the unknown or malformed flag in its message ("Unknown option '--x'").
    const flag = /'(--?[A-Za-z0-9-]+)/.exec((error as Error).message)?.[1] ?? 'arguments'
    throw new FleetArgumentError([{ flag, message: (error as Error).message }])
  }
  const problems: FlagProblem[] = []
  const text = (name: keyof typeof FLAGS): string | undefined => values[name] as string | undefined

  const count = (name: 'terminals' | 'customers' | 'payments', fallback: number, min: number, max: number): number => {
    const raw = text(name)
    if (raw === undefined) return fallback
    const value = Number(raw)
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
      problems.push({ flag: `--${name}`, message: `must be a whole number from ${min} to ${max}, got "${raw}"` })
      return fallback
    }
    return value
  }
  const ratio = (name: 'offline-ratio' | 'double-spend-ratio', fallback: number): number => {
    const raw = text(name)
    if (raw === undefined) return fallback
    const value = Number(raw)
    if (!/^(\d+(\.\d*)?|\.\d+)$/.test(raw) || !(value >= 0 && value <= 1)) {
      problems.push({ flag: `--${name}`, message: `must be a number from 0 to 1, got "${raw}"` })
      return fallback
    }
    return value
  }

  const terminals = count('terminals', FLEET_DEFAULTS.terminals, 1, TERMINALS_MAX)
  const customers = count('customers', FLEET_DEFAULTS.customers, 1, CUSTOMERS_MAX)
  const payments = count('payments', FLEET_DEFAULTS.payments, 0, PAYMENTS_MAX)
  const offlineRatio = ratio('offline-ratio', FLEET_DEFAULTS.offlineRatio)
  const doubleSpendRatio = ratio('double-spend-ratio', FLEET_DEFAULTS.doubleSpendRatio)

  const seed = text('seed') ?? FLEET_DEFAULTS.seed
  if (!/^[0-9A-Za-z._-]{1,64}$/.test(seed)) {
    problems.push({ flag: '--seed', message: `must be 1 to 64 letters, digits, ".", "_" or "-", got "${seed}"` })
  }
  if (text('data') !== undefined) problems.push({ flag: '--data', message: DATA_FLAG_RENAMED })
  const dataDir = text('data-dir')
  if (dataDir !== undefined && dataDir.trim() === '') problems.push({ flag: '--data-dir', message: 'must name a directory' })
  const hubText = text('hub')
  const hubUrl = hubText === undefined ? undefined : hubBaseUrl(hubText)
  if (hubText !== undefined) {
    if (hubUrl === undefined) problems.push({ flag: '--hub', message: hubUrlProblem(hubText) })
    if (dataDir !== undefined) problems.push({ flag: '--data-dir', message: 'keeps an embedded hub\'s data; it cannot be used with --hub' })
  }
  if (problems.length > 0) throw new FleetArgumentError(problems)
  return {
    terminals, customers, payments, offlineRatio, doubleSpendRatio, seed,
    dataDir, hubUrl, json: values.json === true,
  }
}

/**
 * `--flag value` as `--flag=value` for the flags that take one, so a value that looks like a flag
 * (`--payments -3`) reaches the range check, which names the flag, instead of node:util's refusal.
 */
function withValuesAttached(args: readonly string[]): string[] {
  const out: string[] = []
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!
    const name = arg.startsWith('--') && !arg.includes('=') ? arg.slice(2) : undefined
    const takesValue = name !== undefined && Object.hasOwn(FLAGS, name) && FLAGS[name as keyof typeof FLAGS].type === 'string'
    if (takesValue && index + 1 < args.length) out.push(`${arg}=${args[++index]!}`)
    else out.push(arg)
  }
  return out
}
