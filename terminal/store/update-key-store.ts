// The update key in the terminal's store: the public key the hub vouched for (its signature checked
// before it gets here) that update bundles must be signed with; a lower serial never replaces it.

import type { UpdateKeyBody } from '../../protocol/messages/update-key'
import { blob, bytes, type SqliteDatabase } from './database'

export interface HeldUpdateKey {
  readonly serial: number
  readonly publicKey: Uint8Array
  readonly receivedAtMs: number
}

export class UpdateKeyStore {
  private readonly statements

  constructor(db: SqliteDatabase) {
    this.statements = {
      current: db.prepare<[], { serial: number; public_key: Buffer; received_at_ms: number }>(
        'SELECT serial, public_key, received_at_ms FROM update_key WHERE id = 1'),
      // The serial guard is repeated in SQL: whatever the caller judged, an older key never wins.
      save: db.prepare<[number, Buffer, number]>(
        `INSERT INTO update_key (id, serial, public_key, received_at_ms) VALUES (1, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET serial = excluded.serial, public_key = excluded.public_key,
           received_at_ms = excluded.received_at_ms WHERE excluded.serial > update_key.serial`),
    }
  }

  current(): HeldUpdateKey | undefined {
    const row = this.statements.current.get()
    return row === undefined ? undefined : { serial: row.serial, publicKey: bytes(row.public_key), receivedAtMs: row.received_at_ms }
  }

  /** Keeps a key the caller verified; true if it replaced the one held (a higher serial). */
  save(key: Pick<UpdateKeyBody, 'serial' | 'publicKey'>, now_ms: number): boolean {
    return this.statements.save.run(key.serial, blob(key.publicKey), now_ms).changes === 1
  }
}
