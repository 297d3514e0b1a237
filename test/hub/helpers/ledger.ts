// Test scaffolding for the ledger: a temporary directory removed at teardown, a manual clock,
// and a real SQLite ledger file opened through the hub's own openDatabase.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ManualClock } from '../../../protocol/clock'
import { openDatabase, type SqliteDatabase } from '../../../hub/store/database'
import { SqliteLedgerStore } from '../../../hub/ledger/sqlite-store'

export interface Teardown {
  teardown(fn: () => void): void
}

export function temporaryDirectory(t: Teardown): string {
  const directory = mkdtempSync(join(tmpdir(), 'payall-ledger-'))
  t.teardown(() => rmSync(directory, { recursive: true, force: true }))
  return directory
}

export interface OpenLedger {
  readonly path: string
  readonly database: SqliteDatabase
  readonly store: SqliteLedgerStore
  readonly clock: ManualClock
}

/** Opens a ledger file (a new one in its own directory unless `path` is given); closed, then removed, at teardown. */
export function openLedger(t: Teardown, options: { path?: string; clock?: ManualClock } = {}): OpenLedger {
  const directory = options.path === undefined ? mkdtempSync(join(tmpdir(), 'payall-ledger-')) : undefined
  const path = options.path ?? join(directory!, 'ledger.sqlite')
  const clock = options.clock ?? new ManualClock(Date.UTC(2025, 0, 15, 12))
  const database = openDatabase(path)
  t.teardown(() => {
    if (database.open) database.close()
    if (directory !== undefined) rmSync(directory, { recursive: true, force: true })
  })
  return { path, database, store: new SqliteLedgerStore(database, { clock }), clock }
}
