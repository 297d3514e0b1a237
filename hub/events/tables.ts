// What the live events keep in the database: only the high-water mark of their ids. The events themselves
// live in memory (live-events.ts); the mark makes sure an id never repeats after a restart.

export const LIVE_EVENT_IDS_SQL = `
CREATE TABLE live_event_ids (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  -- Every id below this one may have been handed out; a hub reserves its ids from here on, a block at a time.
  next_id INTEGER NOT NULL CHECK (next_id >= 1)
) STRICT;
INSERT INTO live_event_ids (id, next_id) VALUES (1, 1);
`
