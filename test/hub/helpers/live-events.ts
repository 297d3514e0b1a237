// What the hub's live events heard: every event it numbered, in order, as the GET /events streams get them.

import type { LiveEvents } from '../../../hub/events/live-events'
import type { LiveEvent } from '../../../hub/events/model'

export function heardEvents(events: LiveEvents): LiveEvent[] {
  const heard: LiveEvent[] = []
  events.listen({ event: event => heard.push(event), accessChanged: () => undefined })
  return heard
}

/** The events heard, once every one published so far has been numbered: type, data and audience. */
export async function heardSoFar(events: LiveEvents, heard: readonly LiveEvent[]) {
  await events.idle()
  return heard.map(({ type, data, audience }) => ({ type, data, audience }))
}
