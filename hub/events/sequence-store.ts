// The ids of live events, reserved from the database a block at a time: one write per block, not one per
// event, and a hub that restarts (or crashes) starts past every id it may have handed out.

import type { SqliteDatabase } from '../store/database'

export class EventIdStore {
  private readonly reserveStatement

  constructor(db: SqliteDatabase) {
    this.reserveStatement = db.prepare<[number, number], { first_id: number }>(
      'UPDATE live_event_ids SET next_id = next_id + ? WHERE id = 1 RETURNING next_id - ? AS first_id')
  }

  /** The first of `count` ids nobody has had, nor will have from another reservation. */
  reserve(count: number): number {
    const row = this.reserveStatement.get(count, count)
    if (row === undefined) throw new Error('live_event_ids has no row: the migration that makes it has not run')
    return row.first_id
  }
}
