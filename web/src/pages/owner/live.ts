// What the owner's pages take from the live events: each gateway's presence as it changes, and a call
// when one gateway's payment settles, so a page reloads only what that payment changed.

import { useState } from 'preact/hooks'
import { useLiveEvent, type LiveEvents } from '../../events'

export interface Presence {
  online: boolean
  lastSeenAtMs: number | null
}

type PresenceEvent = LiveEvents['gateway.presence']

/** Presence events received while the page is open, the latest per gateway. */
export function usePresenceEvents(): ReadonlyMap<string, PresenceEvent> {
  const [seen, setSeen] = useState<ReadonlyMap<string, PresenceEvent>>(new Map())
  useLiveEvent('gateway.presence', (event) => setSeen((previous) => new Map(previous).set(event.gatewayId, event)))
  return seen
}

/** The newer of a gateway's presence in a reply and in an event received since. */
export function latestPresence(reply: Presence, event: PresenceEvent | undefined): Presence {
  if (event === undefined || (reply.lastSeenAtMs !== null && reply.lastSeenAtMs > event.lastSeenAtMs)) return reply
  return { online: event.online, lastSeenAtMs: event.lastSeenAtMs }
}

/** Calls `then` when a payment taken by gateway `gatewayId` settles. */
export function useGatewayPayment(gatewayId: string, then: (event: LiveEvents['payment.settled']) => void): void {
  useLiveEvent('payment.settled', (event) => {
    if (event.gatewayId === gatewayId) then(event)
  })
}
