// Two hubs' engines on one database, for the stores whose writes must happen once whichever hub makes them.
// PostgreSQL: two pools on one new, migrated schema of the file's database, as two hub processes have. SQLite: the
// one connection's engine twice, as a hub on SQLite has one connection.

import { migratePg } from '../../../hub/store/pg/migrate'
import { PgEngine, type SqlEngine } from '../../../hub/store/sql'
import { testDatabase } from '../../helpers/postgres'
import type { EngineFactory } from './engines'

interface Teardown {
  teardown(fn: () => void | Promise<void>): void
}

let schemas = 0

/** `root`: the test file's top-level tap object (it owns the file's database); `t`: the test the engines are for. */
export async function twoHubs(root: Teardown, t: Teardown, factory: EngineFactory): Promise<[SqlEngine, SqlEngine]> {
  if (factory.dialect === 'sqlite') {
    const { engine } = await factory.open(t)
    return [engine, engine]
  }
  schemas += 1
  const database = await testDatabase(root)
  const schema = `two_hubs_${process.pid}_${schemas}`
  const pools = [await database.pool(schema), await database.pool(schema)] as const
  t.teardown(async () => {
    await Promise.all(pools.map(pool => pool.end()))
  })
  await migratePg(pools[0])
  return [new PgEngine(pools[0]), new PgEngine(pools[1])]
}
