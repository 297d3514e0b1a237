// Starts and stops a whole hub process: database, keys, first operator, HTTP API (and, once
// wired, the MQTT side), over one HubContext. hub/cli.ts is its command-line face.

import { mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import { buildApp } from './app'
import { LateBoundBus } from './bus'
import { SqliteLedgerStore } from './ledger/sqlite-store'
import type { HubConfig } from './config'
import { systemClock, systemRandom, type Clock, type HubContext, type RandomBytes } from './context'
import { DOCS_PREFIX } from './http/docs'
import { loadOrCreateHubKeys, loadOrCreateJwtSecret } from './keys'
import { createLog } from './log'
import { openDatabase } from './store/database'
import { ensureOperator, type OperatorBootstrap } from './users/operator'
import { createPasswordHasher } from './users/passwords'

export const DATABASE_FILE = 'hub.sqlite'

export interface HubOverrides {
  clock?: Clock
  random?: RandomBytes
  log?: FastifyBaseLogger
}

export interface RunningHub {
  /** Base URL of the REST API, e.g. http://127.0.0.1:3001. */
  readonly httpUrl: string
  readonly docsUrl: string
  /** The broker terminals connect to; undefined while no MQTT side runs. */
  readonly mqttUrl: string | undefined
  readonly operator: OperatorBootstrap
  readonly context: HubContext
  /** Stops accepting, lets in-flight requests finish, then closes the database. Safe to call twice. */
  stop(): Promise<void>
}

export async function startHub(config: HubConfig, overrides: HubOverrides = {}): Promise<RunningHub> {
  const random = overrides.random ?? systemRandom
  const dataDir = resolve(config.dataDir)
  mkdirSync(dataDir, { recursive: true, mode: 0o700 })

  const db = openDatabase(join(dataDir, DATABASE_FILE))
  let app: FastifyInstance | undefined
  try {
    const clock = overrides.clock ?? systemClock
    const bus = new LateBoundBus()
    const context: HubContext = {
      config,
      clock,
      random,
      db,
      hubKeys: loadOrCreateHubKeys(dataDir, random),
      jwtSecret: loadOrCreateJwtSecret(dataDir, random, config.jwtSecret),
      log: overrides.log ?? createLog(config.logLevel),
      passwords: createPasswordHasher({ random }),
      ledger: new SqliteLedgerStore(db, { nowMs: () => clock.nowMs() }),
      bus,
    }
    const operator = await ensureOperator(context)
    app = await buildApp(context)
    await app.listen({ port: config.httpPort, host: config.httpHost })
    const listening = app

    // ── The MQTT side starts here (embedded aedes broker, or config.mqttUrl, and the ingest),
    //    over the same context; its stop joins stop() below, before the database closes. ──
    const mqttUrl = config.mqttUrl

    const address = listening.server.address()
    if (address === null || typeof address === 'string') throw new Error('the HTTP server has no TCP address')
    const httpUrl = `http://${reachableHost(config.httpHost)}:${address.port}`
    let stopping: Promise<void> | undefined
    return {
      httpUrl,
      docsUrl: `${httpUrl}${DOCS_PREFIX}`,
      mqttUrl,
      operator,
      context,
      stop: () => {
        stopping ??= (async () => {
          try {
            await listening.close()
          } finally {
            db.close()
          }
        })()
        return stopping
      },
    }
  } catch (error) {
    await app?.close()
    db.close()
    throw error
  }
}

/** A host a client on this machine can connect to, for the URLs the hub prints. */
function reachableHost(listenHost: string): string {
  if (listenHost === '0.0.0.0') return '127.0.0.1'
  if (listenHost === '::') return '[::1]'
  return listenHost.includes(':') ? `[${listenHost}]` : listenHost
}
