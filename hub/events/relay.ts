// What the live events of hubs sharing one database tell each other, whichever carries it (pg-relay.ts: PostgreSQL
// LISTEN/NOTIFY): the events each hub published, with the audience it resolved, and the users whose access changed.
// Each hub numbers what it hears with ids of its own; ids are never relayed.

import type { NewLiveEvent } from './model'

/** An event as it goes from one hub to the others: its type, its data and who may see it, without an id. */
export type RelayedEvent = NewLiveEvent & {
  readonly audience: readonly string[]
}

/** What this hub does with what the other hubs send. Called synchronously; must not throw. */
export interface RelayReceiver {
  /** Events another hub published, in its order. */
  events(events: readonly RelayedEvent[]): void
  /** A user's access changed on another hub (suspended, sessions ended, roles changed). */
  accessChanged(userId: string): void
  /**
   * Some of what the hubs sent did not arrive (a connection dropped): the events this hub keeps for resumption have
   * a gap it cannot fill.
   */
  lost(): void
}

export interface EventRelay {
  /** Sends events to the other hubs, in order. Never throws: what cannot be sent is logged, and reported lost. */
  sendEvents(events: readonly RelayedEvent[]): void
  /** Tells the other hubs that a user's access changed; as sendEvents, never throws. */
  sendAccessChanged(userId: string): void
  /** Hands what the other hubs send to `receiver` from now on. One receiver per relay, set once. */
  receive(receiver: RelayReceiver): void
  /** Stops listening and sending, once what was being sent has gone. */
  stop(): Promise<void>
}
