import t from 'tap'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { openDatabase, type SqliteDatabase } from '../../../hub/store/database'
import { WalSync, type OpenForSync } from '../../../hub/store/wal-sync'
import { PresenceStore } from '../../../hub/gateways/presence-store'
import { SqliteEngine } from '../../../hub/store/sql'
import type { Tap } from '../http/fixtures'
import { temporaryDirectory } from '../helpers/ledger'

/** An fsync the test completes or fails by hand, counting how many were started. */
function heldSyncs() {
  const started: Array<{ finish: () => void; fail: (error: Error) => void }> = []
  const openForSync: OpenForSync = async () => ({
    sync: () => new Promise<void>((resolve, reject) => started.push({ finish: resolve, fail: reject })),
    close: async () => undefined,
  })
  return { started, openForSync }
}

function tableOfRows(t: Tap): { database: SqliteDatabase; walPath: string; insert: (n: number) => void } {
  const path = join(temporaryDirectory(t), 'hub.sqlite')
  const database = openDatabase(path, { migrations: [{ version: 1, name: 'rows', sql: 'CREATE TABLE rows (n INTEGER)' }] })
  t.teardown(() => database.close())
  const statement = database.prepare('INSERT INTO rows (n) VALUES (?)')
  return { database, walPath: `${path}-wal`, insert: n => database.transaction(() => statement.run(n))() }
}

/** Settles once every promise queued so far has had its turn. */
const turn = () => new Promise(resolve => setImmediate(resolve))

t.test('commits with synchronous=NORMAL inside, and puts FULL back after, even when the transaction throws', async t => {
  const { database, walPath, insert } = tableOfRows(t)
  const sync = new WalSync(database, walPath)
  t.teardown(() => sync.close())
  const inside = sync.commitUnsynced(() => {
    insert(1)
    return database.pragma('synchronous', { simple: true })
  })
  t.equal(inside, 1, 'NORMAL while committing')
  t.equal(database.pragma('synchronous', { simple: true }), 2, 'FULL after')
  t.throws(() => sync.commitUnsynced(() => database.transaction(() => {
    insert(2)
    throw new Error('refused')
  })()), /refused/)
  t.equal(database.pragma('synchronous', { simple: true }), 2, 'FULL after a rollback')
  t.same(database.prepare('SELECT n FROM rows').pluck().all(), [1], 'the rolled-back row is not there')
  await sync.synced()
  t.ok(existsSync(walPath), 'the real WAL was fsynced')
})

t.test('needs no fsync when nothing was committed unsynced', async t => {
  const { database, walPath, insert } = tableOfRows(t)
  const { started, openForSync } = heldSyncs()
  const sync = new WalSync(database, walPath, openForSync)
  insert(1)
  await sync.synced()
  t.equal(started.length, 0, 'a FULL commit is on disk already')
})

t.test('one fsync covers every commit before it; a commit during it waits for the next', async t => {
  const { database, walPath, insert } = tableOfRows(t)
  const { started, openForSync } = heldSyncs()
  const sync = new WalSync(database, walPath, openForSync)
  const order: string[] = []
  sync.commitUnsynced(() => insert(1))
  sync.commitUnsynced(() => insert(2))
  const first = sync.synced().then(() => order.push('first'))
  const second = sync.synced().then(() => order.push('second'))
  await turn()
  t.equal(started.length, 1, 'two commits, two callers, one fsync')
  sync.commitUnsynced(() => insert(3))
  const third = sync.synced().then(() => order.push('third'))
  await turn()
  t.equal(started.length, 1, 'the third commit waits for the fsync under way to end')
  started[0]!.finish()
  await Promise.all([first, second])
  await turn()
  t.same(order, ['first', 'second'], 'the third is not covered by the first fsync')
  t.equal(started.length, 2, 'a second fsync starts for it')
  started[1]!.finish()
  await third
  t.same(order, ['first', 'second', 'third'])
})

t.test('a caller with nothing new waits for the fsync under way, without starting another', async t => {
  const { database, walPath, insert } = tableOfRows(t)
  const { started, openForSync } = heldSyncs()
  const sync = new WalSync(database, walPath, openForSync)
  sync.commitUnsynced(() => insert(1))
  const first = sync.synced()
  await turn()
  let late = false
  const second = sync.synced().then(() => { late = true })
  await turn()
  t.notOk(late, 'not resolved before the fsync that covers the earlier commit ends')
  started[0]!.finish()
  await Promise.all([first, second])
  t.equal(started.length, 1)
})

t.test('a failed fsync fails its callers and every later one with SYNC_FAILED', async t => {
  const { database, walPath, insert } = tableOfRows(t)
  const { started, openForSync } = heldSyncs()
  const sync = new WalSync(database, walPath, openForSync)
  sync.commitUnsynced(() => insert(1))
  const covered = sync.synced()
  await turn()
  sync.commitUnsynced(() => insert(2))
  const next = sync.synced()
  started[0]!.fail(new Error('EIO: i/o error'))
  await t.rejects(covered, { name: 'StoreError', code: 'SYNC_FAILED' })
  await t.rejects(next, { code: 'SYNC_FAILED' }, 'a caller waiting for the next fsync is failed too')
  await t.rejects(sync.synced(), { code: 'SYNC_FAILED' }, 'and so is every later caller, with nothing new committed')
  t.equal(started.length, 1, 'no fsync is tried again: what the failed one covered may be lost')
})

t.test('a gateway presence is committed unsynced: it leaves an fsync to do, where a plain commit leaves none', async t => {
  const path = join(temporaryDirectory(t), 'hub.sqlite')
  const database = openDatabase(path)
  t.teardown(() => database.close())
  const { started, openForSync } = heldSyncs()
  const sync = new WalSync(database, `${path}-wal`, openForSync)
  t.teardown(() => sync.close())
  await sync.synced()
  t.equal(started.length, 0, 'nothing unsynced yet')
  const presence = new PresenceStore(new SqliteEngine(database), sync)
  await presence.change('00000000000000A1', () => ({ online: true, lastSeenAtMs: 1, connectedAtMs: null }))
  t.equal(database.pragma('synchronous', { simple: true }), 2, 'FULL again after it')
  const synced = sync.synced()
  await turn()
  t.equal(started.length, 1, 'the presence waits for the next fsync')
  started[0]!.finish()
  await synced
  await presence.change('00000000000000A1', known => (known === undefined ? undefined : { ...known, online: false }))
  t.same(await presence.presence('00000000000000A1'), { online: false, lastSeenAtMs: 1, connectedAtMs: null })
  database.exec('BEGIN')
  await presence.change('00000000000000A2', () => ({ online: true, lastSeenAtMs: 2, connectedAtMs: null }))
  t.ok(database.inTransaction, 'inside a transaction of its caller, it commits nothing of its own')
  database.exec('ROLLBACK')
  t.equal(await presence.presence('00000000000000A2'), undefined, 'it was part of the caller\'s transaction, rolled back with it')
})
