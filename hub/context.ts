// What every part of the running hub shares: configuration, the database, its keys, the log,
// and the clock and randomness, injected so tests and the simulator can run deterministically.

import type { FastifyBaseLogger } from 'fastify'
import type { SqliteDatabase } from './store/database'
import type { SqlEngine } from './store/sql'
import type { HubStore } from './store/hub-store'
import type { WalSync } from './store/wal-sync'
import type { KeyPair } from '../protocol/signature/ed25519'
import type { HubConfig } from './config'
import type { PasswordHasher } from './users/passwords'
import type { MessageBus } from './bus'
import type { EventRelay } from './events/relay'
import type { LedgerStore } from './ledger/store'
import type { Clock, RandomBytes } from '../protocol/clock'
import type { PinnedCertificate } from '../protocol/tls-pin'

export interface HubContext {
  readonly config: HubConfig
  /** The certificate and key the REST API and the embedded broker serve, from config.tlsCertFile/tlsKeyFile; undefined: plain HTTP and MQTT. */
  readonly tls: HubTls | undefined
  /** The time and the hub's timers (sweepers, retries): the system's, or a ManualClock in tests. */
  readonly clock: Clock
  readonly random: RandomBytes
  /** The SQLite connection of a hub on SQLite; undefined on PostgreSQL. Stores use `engine`. */
  readonly db: SqliteDatabase | undefined
  /** What the hub stores on, with the lease that says whether this hub runs the work of one hub at a time. */
  readonly store: Pick<HubStore, 'kind' | 'where' | 'schemaVersion' | 'leadership'>
  /**
   * The database the stores written on SqlEngine use: SQLite's connection `db` through its gate, or PostgreSQL. A
   * transaction of the engine is open across awaits: code that uses `db` directly while one may be open goes through
   * SqliteEngine.exclusive.
   */
  readonly engine: SqlEngine
  /**
   * Commits of `db` that return before their fsync (hub/store/wal-sync.ts): for writes a crash may undo without harm,
   * as presence, which the hub learns again when a gateway connects. Undefined: every commit is synchronous (always on
   * PostgreSQL).
   */
  readonly walSync?: WalSync
  /** Signs vouchers, acks, revocations and config; gateways pin its public key. */
  readonly hubKeys: KeyPair
  /** HS256 key of the access tokens. */
  readonly jwtSecret: Uint8Array
  readonly log: FastifyBaseLogger
  readonly passwords: PasswordHasher
  /** The double-entry ledger: every change to a balance goes through it. */
  readonly ledger: LedgerStore
  /** Carries live events to and from the other hubs on one PostgreSQL; undefined for a hub alone (SQLite). */
  readonly eventRelay?: EventRelay
  /** Publishes to gateways over MQTT. */
  readonly bus: MessageBus
  /**
   * Where the embedded broker listens once it does: the port it bound (config may say 0); and, with an external
   * Mosquitto whose gateway logins the hub keeps (config.mqttLogins dynsec), those logins once the MQTT side runs.
   */
  readonly broker: { boundPort: number | undefined; logins?: GatewayBrokerLogins | undefined }
}

/** The certificate and key of --tls-cert and --tls-key, as hub/tls.ts read and checked them. */
export interface HubTls {
  /** The certificate file as given: the hub's certificate, then any chain a client needs to reach a root. */
  readonly certificateChainPem: string
  readonly keyPem: string
  /** The hub's own certificate (the file's first): what gateways pin and the hub's own MQTT client trusts. */
  readonly certificate: PinnedCertificate
}

/** A gateway's key, as its broker login is made for it. */
export interface GatewayKey {
  readonly eui: string
  readonly publicKey: Uint8Array
}

/** The gateways' logins on an external broker the hub keeps them on (gateways/broker-logins.ts). */
export interface GatewayBrokerLogins {
  /** The password a gateway with this key logs in with. */
  passwordOf(gateway: GatewayKey): string
  /** Lets the gateway in with its key's password; a device logged in with another key is dropped. */
  admit(gateway: GatewayKey): Promise<void>
  /** Deletes the gateway's login: a connected device is dropped, and cannot log in again. */
  shutOut(eui: string): Promise<void>
}
