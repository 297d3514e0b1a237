// Shared set-up for the hub HTTP tests: a HubContext over a real SQLite file in a temporary
// directory, a hand-driven clock, seeded randomness, cheap password hashing and a captured log.

import { SqliteLedgerStore } from '../../../hub/ledger/sqlite-store'
import { recordingBus } from '../../../hub/bus'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import pino from 'pino'
import type { FastifyInstance } from 'fastify'
import { sha256 } from '../../../protocol/bytes'
import { ManualClock, type RandomBytes } from '../../../protocol/clock'
import { nodeEd25519 } from '../../../protocol/signature/node'
import { buildApp } from '../../../hub/app'
import { parseConfig, type HubConfig } from '../../../hub/config'
import type { HubContext } from '../../../hub/context'
import { buildServices, type HubServices } from '../../../hub/services'
import { WalSync } from '../../../hub/store/wal-sync'
import { SqliteEngine } from '../../../hub/store/sql'
import { openDatabase, schemaVersionOf, type SqliteDatabase } from '../../../hub/store/database'
import { soleLeadership } from '../../../hub/store/leadership'
import { createPasswordHasher, type ScryptCost } from '../../../hub/users/passwords'
import type { Role } from '../../../hub/http/roles'
import { UserStore, newUserId } from '../../../hub/users/store'

/** Enough to exercise scrypt without spending a test's time on it. */
export const TEST_SCRYPT_COST: ScryptCost = { costLog2: 4, blockSize: 8, parallelization: 1 }

export const START_MS = Date.UTC(2025, 0, 15, 9, 0, 0)

/** Deterministic bytes: SHA-256 of seed and a counter, block after block. */
export function seededRandom(seed: string): RandomBytes {
  let counter = 0
  return (length) => {
    const out = new Uint8Array(length)
    for (let filled = 0; filled < length; filled += 32) {
      out.set(sha256(Buffer.from(`${seed}:${counter++}`)).subarray(0, length - filled), filled)
    }
    return out
  }
}

/** Log lines as parsed JSON objects. */
export interface CapturedLog {
  readonly lines: Array<Record<string, unknown>>
}

export interface Tap {
  testdir(): string
  teardown(fn: () => unknown): void
}

export interface TestHub {
  context: SqliteHubContext
  /** The stores and services the app's routes were handed. */
  services: HubServices
  clock: ManualClock
  log: CapturedLog
  app: FastifyInstance
}

export function testConfig(dataDir: string, overrides: Partial<HubConfig> = {}): HubConfig {
  return { ...parseConfig([], {}), dataDir, ...overrides }
}

/** `dataDir`: a directory holding a database already (t.testdir() empties its directory). */
/** A hub's context on a SQLite file, whose connection tests may read and write directly. */
export type SqliteHubContext = HubContext & { readonly db: SqliteDatabase }

export function testContext(t: Tap, options: { config?: Partial<HubConfig>; seed?: string; dataDir?: string } = {}): {
  context: SqliteHubContext
  clock: ManualClock
  log: CapturedLog
} {
  const dataDir = options.dataDir ?? t.testdir()
  const db = openDatabase(join(dataDir, 'hub.sqlite'))
  // Settlements commit unsynced and wait for a shared fsync, as in the hub.
  const walSync = new WalSync(db, join(dataDir, 'hub.sqlite-wal'))
  t.teardown(async () => {
    await walSync.close()
    db.close()
  })
  const random = seededRandom(options.seed ?? 'hub-http-test')
  const clock = new ManualClock(START_MS)
  const log: CapturedLog = { lines: [] }
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') log.lines.push(JSON.parse(line))
      callback()
    },
  })
  // One engine for the connection: the ledger's transactions wait for its own, and it settles in them.
  const engine = new SqliteEngine(db)
  const context: SqliteHubContext = {
    config: testConfig(dataDir, options.config),
    tls: undefined,
    clock,
    random,
    db,
    engine,
    hubKeys: nodeEd25519.keyPairFromSeed(random(32)),
    jwtSecret: random(32),
    log: pino({ level: 'info' }, sink),
    passwords: createPasswordHasher({ random, cost: TEST_SCRYPT_COST }),
    ledger: new SqliteLedgerStore(db, { clock, walSync, gate: engine }),
    store: { kind: 'sqlite', where: join(dataDir, 'hub.sqlite'), schemaVersion: () => Promise.resolve(schemaVersionOf(db)), leadership: soleLeadership() },
    bus: recordingBus(),
    broker: { boundPort: undefined },
  }
  return { context, clock, log }
}

export async function testHub(
  t: Tap,
  options: { config?: Partial<HubConfig>; seed?: string; dataDir?: string; beforeReady?: (app: FastifyInstance) => void } = {},
): Promise<TestHub> {
  const { context, clock, log } = testContext(t, options)
  const services = buildServices(context)
  const app = await buildApp(context, services)
  options.beforeReady?.(app)
  t.teardown(() => app.close())
  await app.ready()
  return { context, services, clock, log, app }
}

/** The roles a user of `role` holds: an owner is a customer whose order was validated, and keeps being one. */
function rolesOf(role: Role): Role[] {
  return role === 'owner' ? ['owner', 'customer'] : [role]
}

/** A user of `role` (see rolesOf) whose email is proved, unless `emailVerified` is false. */
export async function addUser(
  context: HubContext,
  user: { email: string; password?: string; passwordHash?: string; role: Role; fullName?: string; emailVerified?: boolean },
): Promise<string> {
  const id = newUserId(context.random)
  await new UserStore(context.engine).insert({
    id,
    email: user.email,
    emailVerifiedAtMs: user.emailVerified === false ? null : context.clock.now_ms(),
    fullName: user.fullName ?? 'Test User',
    roles: rolesOf(user.role),
    passwordHash: user.passwordHash ?? (await context.passwords.hash(user.password!)),
    createdAtMs: context.clock.now_ms(),
  })
  return id
}

export async function login(app: FastifyInstance, email: string, password: string) {
  return app.inject({ method: 'POST', url: '/users/login', payload: { email, password } })
}

/** Checks the one error shape and returns its code and message. */
export function errorOf(response: { json(): unknown }): { code: string; message: string } {
  const body = response.json() as { error?: { code?: unknown; message?: unknown } }
  const keys = Object.keys(body as object)
  if (keys.length !== 1 || body.error === undefined) throw new Error(`not the error shape: ${JSON.stringify(body)}`)
  const { code, message } = body.error
  if (typeof code !== 'string' || typeof message !== 'string' || Object.keys(body.error).length !== 2) {
    throw new Error(`not the error shape: ${JSON.stringify(body)}`)
  }
  return { code, message }
}
