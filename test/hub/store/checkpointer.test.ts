import t from 'tap'
import { statSync } from 'node:fs'
import { join } from 'node:path'
import type { CheckpointReport } from '../../../hub/store/checkpoint-worker'
import { Checkpointer } from '../../../hub/store/checkpointer'
import { openDatabase } from '../../../hub/store/database'
import { temporaryDirectory } from '../helpers/ledger'

t.test('checkpoints on its own thread while the main connection stops checkpointing by itself', async t => {
  const path = join(temporaryDirectory(t), 'hub.sqlite')
  const database = openDatabase(path, { migrations: [{ version: 1, name: 'rows', sql: 'CREATE TABLE rows (n INTEGER, pad BLOB)' }] })
  t.teardown(() => database.close())
  const failures: string[] = []
  // A tick far in the future: only checkpointNow checkpoints during the test.
  const checkpointer = new Checkpointer(database, path, { interval_ms: 3_600_000, failed: message => failures.push(message) })
  t.teardown(() => checkpointer.stop())
  t.equal(database.pragma('wal_autocheckpoint', { simple: true }), 0, 'the main connection leaves checkpoints to the worker')

  const insert = database.prepare('INSERT INTO rows (n, pad) VALUES (?, zeroblob(4096))')
  // 2,000 pages: past SQLite's own threshold of 1,000, which would have checkpointed on a commit.
  database.transaction(() => {
    for (let n = 0; n < 2_000; n++) insert.run(n)
  })()
  const walBefore = statSync(`${path}-wal`).size
  t.ok(walBefore > 4 * 1024 * 1024, 'the WAL kept every frame: no commit checkpointed')

  const report = await checkpointer.checkpointNow()
  t.match(report, { kind: 'checkpointed', mode: 'PASSIVE' })
  if (report.kind !== 'checkpointed') throw new Error('not checkpointed')
  t.ok(report.walFrames > 2_000, 'the WAL held the transaction\'s frames')
  t.equal(report.checkpointedFrames, report.walFrames, 'and every one is now in the database file')
  t.equal(database.prepare('SELECT count(*) FROM rows').pluck().get(), 2_000, 'the main connection reads on')

  await checkpointer.stop()
  t.equal(database.pragma('wal_autocheckpoint', { simple: true }), 1000, 'stopped, it gives checkpoints back')
  await checkpointer.stop()
  t.same(failures, [])
})

t.test('truncates a WAL grown past its bound on a tick', async t => {
  const path = join(temporaryDirectory(t), 'hub.sqlite')
  const database = openDatabase(path, { migrations: [{ version: 1, name: 'rows', sql: 'CREATE TABLE rows (n INTEGER, pad BLOB)' }] })
  t.teardown(() => database.close())
  const insert = database.prepare('INSERT INTO rows (n, pad) VALUES (?, zeroblob(4096))')
  database.pragma('wal_autocheckpoint = 0')
  database.transaction(() => {
    for (let n = 0; n < 600; n++) insert.run(n)
  })()
  t.ok(statSync(`${path}-wal`).size > 2 * 1024 * 1024)
  const truncated = new Promise<CheckpointReport>(resolve => {
    const checkpointer = new Checkpointer(database, path, {
      interval_ms: 10, passiveAbove_bytes: 1024, truncateAbove_bytes: 2 * 1024 * 1024,
      failed: message => t.fail(message), checkpointed: resolve,
    })
    t.teardown(() => checkpointer.stop())
  })
  // An idle checkpointer keeps no process alive (a hub has its listeners for that): this test holds it open.
  const holdOpen = setInterval(() => undefined, 60_000)
  t.match(await truncated, { kind: 'checkpointed', mode: 'TRUNCATE' })
  clearInterval(holdOpen)
  t.equal(statSync(`${path}-wal`).size, 0, 'the WAL file is truncated')
  t.equal(database.prepare('SELECT count(*) FROM rows').pluck().get(), 600)
})
