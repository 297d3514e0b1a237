import t from 'tap'
import fc from 'fast-check'
import { join } from 'node:path'
import { SeenNonces } from '../../../hub/mqtt/seen-nonces'
import { openDatabase, type SqliteDatabase } from '../../../hub/store/database'

const EUI = '00112233445566A1'
const nonce = (index: number): Uint8Array => new Uint8Array(16).fill(0).map((_, byte) => (byte === 0 ? index & 0xff : index >> 8))

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

function stored(nonces: SeenNonces): Promise<void> {
  return new Promise((resolve, reject) => nonces.whenStored(error => (error === undefined ? resolve() : reject(error))))
}

t.test('remembers committed nonces and the clock reading across a restart on the same database', async t => {
  const path = join(t.testdir(), 'hub.sqlite')
  let db = openDatabase(path)
  let nonces = new SeenNonces(db)
  nonces.observeClock(1_000)
  t.ok(nonces.add(EUI, nonce(1), 2_000))
  await stored(nonces)
  db.close()

  db = openDatabase(path)
  t.teardown(() => db.close())
  nonces = new SeenNonces(db)
  t.equal(nonces.size, 1)
  t.ok(nonces.has(EUI, nonce(1)), 'the nonce is still seen')
  t.notOk(nonces.has(EUI, nonce(2)))
  t.notOk(nonces.has('00112233445566B2', nonce(1)), 'per gateway')
  t.equal(nonces.observeClock(500), 1_000, 'a clock read earlier than before the restart does not lower the high-water mark')
})

t.test('a nonce is seen from the moment it is added, and every nonce added in one turn is committed at once', async t => {
  const db = openDatabase(':memory:')
  const stepped = steppedSchedule()
  const nonces = new SeenNonces(db, { schedule: stepped.schedule })
  const answers: Array<Error | undefined> = []
  for (let index = 0; index < 3; index++) {
    t.ok(nonces.add(EUI, nonce(index), 10_000))
    t.ok(nonces.has(EUI, nonce(index)), 'seen before it is committed')
    nonces.whenStored(error => answers.push(error))
  }
  t.equal(stepped.scheduled, 1, 'one commit for the three')
  t.equal(db.prepare('SELECT count(*) FROM mqtt_password_nonces').pluck().get(), 0, 'nothing committed yet')
  stepped.runAll()
  t.same(answers, [undefined, undefined, undefined])
  t.equal(db.prepare('SELECT count(*) FROM mqtt_password_nonces').pluck().get(), 3)
})

t.test('a commit that fails calls back with the error and keeps the nonces seen', async t => {
  const db = openDatabase(':memory:')
  const stepped = steppedSchedule()
  const nonces = new SeenNonces(db, { schedule: stepped.schedule })
  t.ok(nonces.add(EUI, nonce(1), 10_000))
  let answer: Error | undefined
  nonces.whenStored(error => (answer = error))
  db.close()
  stepped.runAll()
  t.type(answer, Error)
  t.ok(nonces.has(EUI, nonce(1)), 'still refused as a replay')
})

t.test('forgets a nonce once the high-water mark passes its expiry, and only then', async t => {
  const db = openDatabase(':memory:')
  const nonces = new SeenNonces(db)
  nonces.observeClock(0)
  t.ok(nonces.add(EUI, nonce(1), 100))
  await stored(nonces)
  nonces.observeClock(100)
  t.ok(nonces.has(EUI, nonce(1)), 'kept through its expiry instant')
  nonces.observeClock(101)
  t.notOk(nonces.has(EUI, nonce(1)), 'not seen once expired')
  await stored(nonces)
  t.equal(nonces.size, 0, 'and gone at the next commit')
  t.equal(db.prepare('SELECT highest_now_ms FROM mqtt_password_clock').pluck().get(), 101, 'with the reading that expired it')
})

t.test('refuses a new nonce when full of live ones, and commits to make room when some have expired', async t => {
  const db = openDatabase(':memory:')
  const nonces = new SeenNonces(db, { entriesMax: 2 })
  nonces.observeClock(0)
  t.ok(nonces.add(EUI, nonce(1), 10))
  t.ok(nonces.add(EUI, nonce(2), 20))
  t.notOk(nonces.add(EUI, nonce(3), 30), 'full: refused rather than forget a live nonce')
  t.equal(nonces.size, 2)
  nonces.observeClock(11)
  t.ok(nonces.add(EUI, nonce(3), 30), 'the first has expired: room is made')
  t.same([1, 2, 3].map(index => nonces.has(EUI, nonce(index))), [false, true, true])
  t.equal(nonces.size, 2)
})

t.test('behaves like a model of live nonces through adds, clock moves, commits and restarts', async t => {
  const operation = fc.oneof(
    fc.record({ kind: fc.constant('add' as const), lifetime_ms: fc.integer({ min: 0, max: 50 }) }),
    fc.record({ kind: fc.constant('advance' as const), delta_ms: fc.integer({ min: -20, max: 20 }) }),
    fc.record({ kind: fc.constant('commit' as const) }),
    fc.record({ kind: fc.constant('restart' as const) }),
  )
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 6 }), fc.array(operation, { maxLength: 120 }), (entries_max, operations) => {
      const db: SqliteDatabase = openDatabase(':memory:')
      try {
        const stepped = steppedSchedule()
        const open = (): SeenNonces => new SeenNonces(db, { entriesMax: entries_max, schedule: stepped.schedule })
        let nonces = open()
        // The model: each nonce added with its expiry and whether it is committed; the clock's
        // high-water mark, in memory and as last committed.
        const model = new Map<number, { expiresAtMs: number; committed: boolean }>()
        let highest = Number.NEGATIVE_INFINITY
        let committedHighest = Number.NEGATIVE_INFINITY
        const commitModel = (): void => {
          for (const [key, entry] of model) {
            if (entry.expiresAtMs < highest) model.delete(key)
            else entry.committed = true
          }
          committedHighest = highest
        }
        const liveInModel = (): number => [...model.values()].filter(entry => entry.expiresAtMs >= highest).length
        let now_ms = 1_000
        let added = 0
        for (const op of operations) {
          if (op.kind === 'advance') {
            now_ms += op.delta_ms
          } else if (op.kind === 'commit') {
            nonces.whenStored(() => undefined)
            stepped.runAll()
            commitModel()
          } else if (op.kind === 'restart') {
            for (const [key, entry] of model) if (!entry.committed) model.delete(key)
            highest = committedHighest
            nonces = open()
          } else {
            highest = Math.max(highest, now_ms)
            if (nonces.observeClock(now_ms) !== highest) return false
            const key = added++
            const expected = liveInModel() < entries_max
            if (nonces.add(EUI, nonce(key), now_ms + op.lifetime_ms) !== expected) return false
            // A full store commits before it refuses or makes room, as the model does.
            if (model.size >= entries_max) commitModel()
            if (expected) model.set(key, { expiresAtMs: now_ms + op.lifetime_ms, committed: false })
          }
          for (let key = 0; key < added; key++) {
            const entry = model.get(key)
            if (nonces.has(EUI, nonce(key)) !== (entry !== undefined && entry.expiresAtMs >= highest)) return false
          }
          if (liveInModel() > entries_max) return false
        }
        return true
      } finally {
        db.close()
      }
    }),
    { seed: 20250101, numRuns: 300 },
  )
  t.pass('300 operation sequences agree with the model')
})
