// Typed errors of the hub's store: opening, configuring and migrating its database (a SQLite file or PostgreSQL).

import { CodedError } from '../../protocol/errors'

export type StoreErrorCode =
  /** The file was written by a newer hub: its schema version is beyond what this build knows. */
  | 'SCHEMA_TOO_NEW'
  /** SQLite refused a setting the store depends on (WAL, synchronous=FULL, foreign keys). */
  | 'PRAGMA_REFUSED'
  /** A migration failed; its transaction was rolled back and the file keeps the previous version. */
  | 'MIGRATION_FAILED'
  /** An fsync of the WAL failed: commits it should have covered may be lost, so none is called durable again. */
  | 'SYNC_FAILED'
  /** PostgreSQL (--database-url) could not be reached or refused the hub's login when the hub started. */
  | 'DATABASE_UNREACHABLE'

export class StoreError extends CodedError<StoreErrorCode> {
  override readonly name = 'StoreError'
}

