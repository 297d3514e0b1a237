// SqlEngine on both engines: statements with `?` placeholders, integers and blobs read back alike, a write that
// commits whole or not at all, a read that sees one snapshot; on SQLite, nothing joins or sees an open transaction.

import t from 'tap'
import { ManualClock } from '../../../protocol/clock'
import { SqliteLedgerStore } from '../../../hub/ledger/sqlite-store'
import { numberPlaceholders, SqliteEngine } from '../../../hub/store/sql'
import { engineTests } from '../helpers/engines'

const engineTest = engineTests(t)

const TABLE = `CREATE TABLE engine_probe (id INTEGER PRIMARY KEY, amount_minor BIGINT NOT NULL, note TEXT, data BYTEA)`

t.test('placeholders are numbered for PostgreSQL outside quoted text', async (t) => {
  t.equal(numberPlaceholders('SELECT ? , ?'), 'SELECT $1 , $2')
  t.equal(numberPlaceholders(`SELECT '?' AS q, "a?" FROM x WHERE a = ? AND b = 'it''s?' AND c = ?`),
    `SELECT '?' AS q, "a?" FROM x WHERE a = $1 AND b = 'it''s?' AND c = $2`)
  t.throws(() => numberPlaceholders(`SELECT 'open`), /quote/)
})

engineTest('statements read back integers, text, null and blobs alike', async (t, factory) => {
  const { engine } = await factory.open(t)
  await engine.run(factory.dialect === 'sqlite' ? TABLE.replace('BYTEA', 'BLOB') : TABLE)
  const big = 2 ** 53 - 1
  t.same(await engine.run('INSERT INTO engine_probe (id, amount_minor, note, data) VALUES (?, ?, ?, ?)',
    [1, big, 'it?s', Buffer.from([0, 255, 7])]), { changes: 1 })
  await engine.run('INSERT INTO engine_probe (id, amount_minor, note, data) VALUES (?, ?, ?, ?)', [2, -5, null, null])
  const rows = await engine.all<{ id: number; amount_minor: number; note: string | null; data: Buffer | null }>(
    'SELECT id, amount_minor, note, data FROM engine_probe ORDER BY id')
  t.same(rows.map(row => [row.id, row.amount_minor, row.note]), [[1, big, 'it?s'], [2, -5, null]])
  t.same([...rows[0]!.data!], [0, 255, 7])
  t.equal(rows[1]!.data, null)
  const count = await engine.get<{ n: number }>('SELECT COUNT(*) AS n FROM engine_probe WHERE amount_minor > ?', [0])
  t.equal(count?.n, 1, 'a count is a number on both engines')
  t.equal(await engine.get('SELECT id FROM engine_probe WHERE id = ?', [9]), undefined)
  t.same(await engine.run('UPDATE engine_probe SET note = ? WHERE id > ?', ['x', 0]), { changes: 2 })
})

engineTest('a write commits all its statements, or none when it throws', async (t, factory) => {
  const { engine } = await factory.open(t)
  await engine.run(factory.dialect === 'sqlite' ? TABLE.replace('BYTEA', 'BLOB') : TABLE)
  const answer = await engine.write(async (sql) => {
    await sql.run('INSERT INTO engine_probe (id, amount_minor) VALUES (?, ?)', [1, 10])
    await sql.run('INSERT INTO engine_probe (id, amount_minor) VALUES (?, ?)', [2, 20])
    return (await sql.get<{ total: number }>('SELECT CAST(SUM(amount_minor) AS BIGINT) AS total FROM engine_probe'))?.total
  })
  t.equal(answer, 30, 'the write sees its own rows')
  await t.rejects(engine.write(async (sql) => {
    await sql.run('INSERT INTO engine_probe (id, amount_minor) VALUES (?, ?)', [3, 30])
    await sql.run('INSERT INTO engine_probe (id, amount_minor) VALUES (?, ?)', [1, 99])
  }), 'a duplicate key fails the write')
  await t.rejects(engine.write(async (sql) => {
    await sql.run('INSERT INTO engine_probe (id, amount_minor) VALUES (?, ?)', [4, 40])
    throw new Error('the caller changed its mind')
  }), /changed its mind/)
  t.same((await engine.all<{ id: number }>('SELECT id FROM engine_probe ORDER BY id')).map(row => row.id), [1, 2],
    'nothing of a failed write is left')
})

engineTest('a read is one snapshot and writes nothing', async (t, factory) => {
  const { engine } = await factory.open(t)
  await engine.run(factory.dialect === 'sqlite' ? TABLE.replace('BYTEA', 'BLOB') : TABLE)
  await engine.run('INSERT INTO engine_probe (id, amount_minor) VALUES (?, ?)', [1, 10])
  const seen = await engine.read(async (sql) => {
    const before = await sql.get<{ n: number }>('SELECT COUNT(*) AS n FROM engine_probe')
    return before?.n
  })
  t.equal(seen, 1)
  await t.rejects(engine.read(sql => sql.run('INSERT INTO engine_probe (id, amount_minor) VALUES (?, ?)', [2, 1])),
    'a read refuses a write')
})

engineTest('SQLite: work outside an open write waits for it, and neither joins it nor sees its rows', async (t, factory) => {
  if (factory.dialect !== 'sqlite') return
  const { engine } = await factory.open(t)
  if (!(engine instanceof SqliteEngine)) throw new Error('a SQLite engine')
  await engine.run(TABLE.replace('BYTEA', 'BLOB'))
  let letGo!: () => void
  const paused = new Promise<void>(resolve => { letGo = resolve })
  const order: string[] = []
  const writing = engine.write(async (sql) => {
    await sql.run('INSERT INTO engine_probe (id, amount_minor) VALUES (?, ?)', [1, 10])
    await paused
    order.push('write ends')
    throw new Error('rolled back')
  })
  const counted = engine.get<{ n: number }>('SELECT COUNT(*) AS n FROM engine_probe').then((row) => {
    order.push('count')
    return row?.n
  })
  const inserted = engine.exclusive(() => {
    order.push('exclusive')
    return engine.db.prepare('INSERT INTO engine_probe (id, amount_minor) VALUES (2, 20)').run().changes
  })
  await Promise.resolve()
  t.same(order, [], 'nothing ran while the write was open')
  letGo()
  await t.rejects(writing, /rolled back/)
  t.equal(await counted, 0, 'the count saw no uncommitted row')
  t.equal(await inserted, 1)
  t.equal(order[0], 'write ends', 'the count and the exclusive work ran once the write had ended')
  t.same((await engine.all<{ id: number }>('SELECT id FROM engine_probe')).map(row => row.id), [2],
    'the exclusive insert was not rolled back with the write')
})

engineTest('SQLite: the ledger, on the same connection, waits for an open write and is not rolled back with it', async (t, factory) => {
  if (factory.dialect !== 'sqlite') return
  const { engine, sqlite } = await factory.open(t)
  if (!(engine instanceof SqliteEngine) || sqlite === undefined) throw new Error('a SQLite engine')
  const ledger = new SqliteLedgerStore(sqlite, { clock: new ManualClock(Date.UTC(2025, 0, 15)), gate: engine })
  await engine.run(TABLE.replace('BYTEA', 'BLOB'))
  let letGo!: () => void
  const paused = new Promise<void>(resolve => { letGo = resolve })
  const writing = engine.write(async (sql) => {
    await sql.run('INSERT INTO engine_probe (id, amount_minor) VALUES (?, ?)', [1, 10])
    await paused
    throw new Error('rolled back')
  })
  let opened = false
  const wallet = ledger.openWallet({ id: 'wallet:gated', userId: null, currency: 'XOF' }).then((account) => {
    opened = true
    return account
  })
  await Promise.resolve()
  await Promise.resolve()
  t.notOk(opened, 'the ledger waited for the open write')
  letGo()
  await t.rejects(writing, /rolled back/)
  t.equal((await wallet).id, 'wallet:gated')
  t.equal((await ledger.account('wallet:gated'))?.currency, 'XOF', 'the wallet stayed when the write rolled back')
  t.same(await engine.all('SELECT id FROM engine_probe'), [])
})
