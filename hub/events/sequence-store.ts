// The ids of live events, reserved from the database a block at a time: one write per block, not one per
// event, and a hub that restarts (or crashes) starts past every id it may have handed out.

import type { SqlEngine } from '../store/sql'

export class EventIdStore {
  constructor(private readonly engine: SqlEngine) {}

  /**
   * The first of `count` ids nobody has had, nor will have from another reservation: one UPDATE of the one row moves
   * the mark, so hubs reserving at once on one PostgreSQL get blocks that do not overlap.
   */
  async reserve(count: number): Promise<number> {
    const row = await this.engine.get<{ first_id: number }>(
      'UPDATE live_event_ids SET next_id = next_id + ? WHERE id = 1 RETURNING next_id - ? AS first_id', [count, count])
    if (row === undefined) throw new Error('live_event_ids has no row: the migration that makes it has not run')
    return row.first_id
  }
}
