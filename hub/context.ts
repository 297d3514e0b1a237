// What every part of the running hub shares: configuration, the database, its keys, the log,
// and the clock and randomness, injected so tests and the simulator can run deterministically.

import type { FastifyBaseLogger } from 'fastify'
import type { SqliteDatabase } from './store/database'
import type { KeyPair } from '../protocol/signature/ed25519'
import type { HubConfig } from './config'
import type { PasswordHasher } from './users/passwords'
import type { MessageBus } from './bus'
import type { LedgerStore } from './ledger/store'
import type { Clock, RandomBytes } from '../protocol/clock'

export interface HubContext {
  readonly config: HubConfig
  /** The time and the hub's timers (sweepers, retries): the system's, or a ManualClock in tests. */
  readonly clock: Clock
  readonly random: RandomBytes
  readonly db: SqliteDatabase
  /** Signs vouchers, acks, revocations and config; gateways pin its public key. */
  readonly hubKeys: KeyPair
  /** HS256 key of the access tokens. */
  readonly jwtSecret: Uint8Array
  readonly log: FastifyBaseLogger
  readonly passwords: PasswordHasher
  /** The double-entry ledger: every change to a balance goes through it. */
  readonly ledger: LedgerStore
  /** Publishes to gateways over MQTT. */
  readonly bus: MessageBus
  /** Where the embedded broker listens once it does: the port it bound (config may say 0). */
  readonly broker: { boundPort: number | undefined }
}
