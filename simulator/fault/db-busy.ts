// The hub's database busy: another process (a backup, an operator's sqlite3 shell) takes the write
// lock on the hub's SQLite file and holds it a while, so every write the hub tries then waits out
// its busy timeout and fails with SQLITE_BUSY. The hub must take that as its own fault: no ack and
// no answer signed for it (hub/ingest/hub-fault.ts), no crash; the gateways send again and every
// payment settles once. Fault runs give the hub a short busy timeout, so a hold of a second fails
// its writes instead of only slowing them.

import Database from 'better-sqlite3'
import { systemClock, type Cancel } from '../../protocol/clock'
import type { FleetOptions } from '../fleet/options'
import type { SeededRandom } from '../fleet/seeded-random'

/** The write lock on the hub's database taken before a payment and held a while. */
export interface BusyFault {
  /** The payment before which the lock is taken. */
  readonly payment: number
  readonly hold_ms: number
}

/** What the fault runs' hub waits for a lock before it fails a write: well below the holds. */
export const FAULT_HUB_BUSY_TIMEOUT_MS = 100
/** Holds per run, at most, and how long one lasts: long enough to meet the payment's records or online request. */
const BUSY_FAULTS_MAX = 3
const HOLD_MS = { min: 300, max: 1_500 } as const
/** How long the holder itself waits for the lock, should the hub be writing as it comes. */
const HOLDER_BUSY_TIMEOUT_MS = 5_000

export function drawBusyFaults(holding: SeededRandom, fleet: Pick<FleetOptions, 'payments'>): BusyFault[] {
  const faults: BusyFault[] = []
  for (let count = holding.integer(1, BUSY_FAULTS_MAX), index = 0; index < count; index++) {
    const fault = { payment: holding.integer(0, fleet.payments - 1), hold_ms: holding.integer(HOLD_MS.min, HOLD_MS.max) }
    if (!faults.some(other => other.payment === fault.payment)) faults.push(fault)
  }
  return faults
}

/** One process's hold on a database's write lock, let go after a while or at once. */
export class DatabaseHold {
  private readonly database: Database.Database
  private readonly cancelTimer: Cancel

  /** Takes the write lock now (waiting for a writer under way) and holds it `hold_ms`. */
  constructor(path: string, hold_ms: number) {
    this.database = new Database(path, { timeout: HOLDER_BUSY_TIMEOUT_MS })
    try {
      this.database.exec('BEGIN IMMEDIATE')
    } catch (error) {
      this.database.close()
      throw error
    }
    this.cancelTimer = systemClock.setTimer(() => this.end(), hold_ms)
  }

  /** Lets the lock go now, if it is still held. */
  end(): void {
    if (!this.database.open) return
    this.cancelTimer()
    this.database.exec('ROLLBACK')
    this.database.close()
  }
}
