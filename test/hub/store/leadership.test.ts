// The leader lease on a real PostgreSQL: of several hubs exactly one leads; when it stops, or its connection is cut
// by the server (as when its machine dies), another takes the lease at its next try; work started while leading is
// cancelled when leading ends. A hub alone on SQLite always leads.

import t from 'tap'
import { Client } from 'pg'
import pino from 'pino'
import { ManualClock } from '../../../protocol/clock'
import { PgLeaderLease, soleLeadership, whileLeading, type Leadership } from '../../../hub/store/leadership'
import { postgresSkip, testDatabase } from '../../helpers/postgres'

const skip = postgresSkip()
const log = pino({ level: 'silent' })
let keys = 0

async function leases(test: { teardown(fn: () => Promise<void>): void }, count: number): Promise<PgLeaderLease[]> {
  const database = await testDatabase(t)
  keys += 1
  const lockKey = String(900_000 + process.pid * 100 + keys)
  const clock = new ManualClock(Date.UTC(2025, 0, 15))
  const made: PgLeaderLease[] = []
  for (let i = 0; i < count; i++) {
    // A retry far away: the test calls tick() itself, so each try happens when it says.
    made.push(new PgLeaderLease({ connection: database.config, clock, log, retry_ms: 3_600_000, lockKey }))
  }
  test.teardown(async () => {
    await Promise.all(made.map(lease => lease.stop()))
  })
  await Promise.all(made.map(lease => lease.tick()))
  return made
}

function leaders(all: readonly Leadership[]): number[] {
  return all.flatMap((lease, index) => (lease.leading ? [index] : []))
}

t.test('a hub alone on SQLite leads from start to stop', async (t) => {
  const sole = soleLeadership()
  t.equal(sole.leading, true)
  let started = 0
  const cancel = whileLeading(sole, () => {
    started += 1
    return () => undefined
  })
  t.equal(started, 1)
  cancel()
  await sole.stop()
})

t.test('of three hubs exactly one leads; when it stops, another takes over at its next try', { skip }, async (t) => {
  const hubs = await leases(t, 3)
  await Promise.all(hubs.map(hub => hub.tick()))
  const first = leaders(hubs)
  t.equal(first.length, 1, 'one leader')
  const leader = hubs[first[0]!]!
  await leader.stop()
  t.equal(leader.leading, false)
  await Promise.all(hubs.filter(hub => hub !== leader).map(hub => hub.tick()))
  const second = leaders(hubs)
  t.equal(second.length, 1, 'one leader again')
  t.not(second[0], first[0], 'another hub')
})

t.test('a leader whose connection the server cuts stops leading; another takes the lease', { skip }, async (t) => {
  const hubs = await leases(t, 2)
  const [leaderIndex] = leaders(hubs)
  t.ok(leaderIndex !== undefined, 'one leads')
  const leader = hubs[leaderIndex!]!
  const other = hubs[1 - leaderIndex!]!
  let changes: boolean[] = []
  const cancelWork: string[] = []
  whileLeading(leader, () => {
    changes.push(true)
    return () => {
      cancelWork.push('cancelled')
    }
  })
  t.same(changes, [true], 'the work started while leading')
  changes = []
  // What the death of the leader's machine does: the server ends its session, and with it the lock.
  const database = await testDatabase(t)
  const admin = new Client(database.config)
  await admin.connect()
  try {
    const ended = await admin.query<{ ended: boolean }>(
      `SELECT pg_terminate_backend(pid) AS ended FROM pg_locks WHERE locktype = 'advisory' AND granted
       AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`)
    t.ok(ended.rows.some(row => row.ended), 'the lock holder was cut off')
  } finally {
    await admin.end()
  }
  await other.tick()
  t.equal(other.leading, true, 'the other hub took the lease')
  await leader.tick()
  t.equal(leader.leading, false, 'the cut-off leader noticed at its next check and stopped leading')
  t.same(cancelWork, ['cancelled'], 'its work was cancelled')
  await leader.tick()
  t.equal(leader.leading, false, 'it follows while the other holds the lease')
})
