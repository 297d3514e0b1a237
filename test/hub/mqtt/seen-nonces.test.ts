// The password nonces on both engines: the database decides whether a nonce was seen, across restarts and across
// hubs sharing it; every nonce presented in one turn is decided in one commit; the clock's high-water mark keeps a
// clock stepping back from reopening a forgotten nonce; full of live nonces, a new one is refused.

import t from 'tap'
import fc from 'fast-check'
import type { Pool } from 'pg'
import { SeenNonces, type NonceVerdict } from '../../../hub/mqtt/seen-nonces'
import { migratePg } from '../../../hub/store/pg/migrate'
import { PgEngine, type SqlEngine } from '../../../hub/store/sql'
import { postgresSkip, testDatabase } from '../../helpers/postgres'
import { engineTests } from '../helpers/engines'

const EUI = '00112233445566A1'
const nonce = (index: number): Uint8Array => new Uint8Array(16).fill(0).map((_, byte) => (byte === 0 ? index & 0xff : index >> 8))
const engineTest = engineTests(t)

/** Commits run when the test says, not on a timer. */
function steppedSchedule() {
  const commits: Array<() => void> = []
  return {
    schedule: (commit: () => void) => commits.push(commit),
    runAll: () => commits.splice(0).forEach(commit => commit()),
    get scheduled() {
      return commits.length
    },
  }
}

async function count(engine: SqlEngine): Promise<number> {
  return (await engine.get<{ count: number }>('SELECT count(*) AS count FROM mqtt_password_nonces'))!.count
}

engineTest('remembers committed nonces and the clock reading across a restart on the same database', async (t, factory) => {
  const opened = await factory.open(t)
  let nonces = new SeenNonces(opened.engine)
  t.equal(await nonces.remember(EUI, nonce(1), 2_000, 1_000), 'accepted')
  const reopened = await opened.reopen(t)
  nonces = new SeenNonces(reopened.engine)
  t.equal(await nonces.size(), 1)
  t.equal(await nonces.remember(EUI, nonce(1), 2_000, 1_000), 'replayed', 'the nonce is still seen')
  t.equal(await nonces.remember('00112233445566B2', nonce(1), 2_000, 1_000), 'accepted', 'per gateway')
  t.equal(await nonces.remember(EUI, nonce(2), 999, 500), 'expired',
    'a clock read earlier than before the restart does not lower the high-water mark')
})

engineTest('every nonce presented in one turn is decided in one commit, a repeat among them a replay', async (t, factory) => {
  const { engine } = await factory.open(t)
  const stepped = steppedSchedule()
  const nonces = new SeenNonces(engine, { schedule: stepped.schedule })
  const verdicts = [0, 1, 2, 1].map(index => nonces.remember(EUI, nonce(index), 10_000, 0))
  t.equal(stepped.scheduled, 1, 'one commit for the four')
  t.equal(await count(engine), 0, 'nothing committed yet')
  stepped.runAll()
  t.same(await Promise.all(verdicts), ['accepted', 'accepted', 'accepted', 'replayed'])
  t.equal(await count(engine), 3)
})

engineTest('a commit that fails rejects with NONCE_NOT_STORED and remembers nothing', async (t, factory) => {
  const { engine } = await factory.open(t)
  const nonces = new SeenNonces(engine)
  await engine.run('DROP TABLE mqtt_password_clock')
  await t.rejects(nonces.remember(EUI, nonce(1), 10_000, 0), { code: 'NONCE_NOT_STORED' })
  t.equal(await count(engine), 0)
})

engineTest('forgets a nonce once the high-water mark passes its expiry, and only then', async (t, factory) => {
  const { engine } = await factory.open(t)
  const nonces = new SeenNonces(engine)
  t.equal(await nonces.remember(EUI, nonce(1), 100, 0), 'accepted')
  t.equal(await nonces.remember(EUI, nonce(1), 100, 100), 'replayed', 'kept through its expiry instant')
  t.equal(await nonces.remember(EUI, nonce(2), 1_000, 101), 'accepted')
  t.equal(await nonces.size(), 1, 'gone once a reading put it out of the window')
  t.equal(await nonces.remember(EUI, nonce(1), 100, 101), 'expired', 'and never accepted again')
  t.same(await engine.get('SELECT highest_now_ms FROM mqtt_password_clock'), { highest_now_ms: 101 }, 'with the reading that expired it')
})

engineTest('refuses a new nonce when full of live ones, and makes room when some have expired', async (t, factory) => {
  const { engine } = await factory.open(t)
  const nonces = new SeenNonces(engine, { entriesMax: 2 })
  t.equal(await nonces.remember(EUI, nonce(1), 10, 0), 'accepted')
  t.equal(await nonces.remember(EUI, nonce(2), 20, 0), 'accepted')
  t.equal(await nonces.remember(EUI, nonce(3), 30, 0), 'overloaded', 'full: refused rather than forget a live nonce')
  t.equal(await nonces.remember(EUI, nonce(2), 20, 0), 'replayed', 'full, a replay is still a replay')
  t.equal(await nonces.size(), 2)
  t.equal(await nonces.remember(EUI, nonce(3), 30, 11), 'accepted', 'the first has expired: room is made')
  t.equal(await nonces.size(), 2)
})

engineTest('behaves like a model of live nonces through presentations, clock moves and restarts', async (t, factory) => {
  const operation = fc.oneof(
    fc.record({ kind: fc.constant('remember' as const), key: fc.integer({ min: 0, max: 12 }), lifetime_ms: fc.integer({ min: 0, max: 50 }) }),
    fc.record({ kind: fc.constant('advance' as const), delta_ms: fc.integer({ min: -20, max: 20 }) }),
    fc.record({ kind: fc.constant('restart' as const) }),
  )
  const runs = factory.dialect === 'sqlite' ? 100 : 20
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1, max: 6 }), fc.array(operation, { maxLength: 60 }), async (entries_max, operations) => {
      let opened = await factory.open(t)
      let nonces = new SeenNonces(opened.engine, { entriesMax: entries_max })
      // The model: each live nonce's expiry, and the high-water mark of the clock readings presented.
      const model = new Map<number, number>()
      let highest = Number.NEGATIVE_INFINITY
      let now_ms = 1_000
      for (const op of operations) {
        if (op.kind === 'advance') {
          now_ms += op.delta_ms
        } else if (op.kind === 'restart') {
          opened = await opened.reopen(t)
          nonces = new SeenNonces(opened.engine, { entriesMax: entries_max })
        } else {
          highest = Math.max(highest, now_ms)
          for (const [key, expires] of model) if (expires < highest) model.delete(key)
          const expiresAt_ms = now_ms + op.lifetime_ms
          const expected: NonceVerdict = expiresAt_ms < highest ? 'expired'
            : model.has(op.key) ? 'replayed'
              : model.size >= entries_max ? 'overloaded' : 'accepted'
          if (await nonces.remember(EUI, nonce(op.key), expiresAt_ms, now_ms) !== expected) return false
          if (expected === 'accepted') model.set(op.key, expiresAt_ms)
        }
      }
      return await nonces.size() === model.size
    }),
    { seed: 20250101, numRuns: runs },
  )
  t.pass(`${runs} operation sequences agree with the model`)
})

t.test('PostgreSQL: hubs presented one password at once accept its nonce once', { skip: postgresSkip() }, async t => {
  const HUBS = 4
  const database = await testDatabase(t)
  const pools: Pool[] = []
  for (let index = 0; index < HUBS; index += 1) {
    const pool = await database.pool(`nonces_race_${process.pid}`)
    t.teardown(() => pool.end())
    pools.push(pool)
  }
  await Promise.all(pools.map(pool => migratePg(pool)))
  const hubs = pools.map(pool => new SeenNonces(new PgEngine(pool)))
  for (let round = 0; round < 20; round += 1) {
    const verdicts = await Promise.all(hubs.map(hub => hub.remember(EUI, nonce(round), 10_000, round)))
    t.same(verdicts.filter(verdict => verdict === 'accepted').length, 1, `round ${round}: one hub let it in`)
    t.ok(verdicts.every(verdict => verdict === 'accepted' || verdict === 'replayed'), 'the others refused a replay')
  }
})
