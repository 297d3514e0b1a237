// Whether each gateway is online, and since when: the embedded broker reports its gateways' connections
// opening and closing; behind an external broker, each gateway's signed GatewayPresence on its retained
// status topic does (protocol/messages/gateway-presence.ts), its MQTT last will saying when it went. Each
// change of a gateway's presence is published as a gateway.presence live event.

import { MINUTE_MS, type Clock } from '../../protocol/clock'
import { isProtocolError } from '../../protocol/errors'
import type { Signed } from '../../protocol/messages/define'
import { gatewayPresenceCodec, type GatewayPresence } from '../../protocol/messages/gateway-presence'
import type { Ed25519 } from '../../protocol/signature/ed25519'
import type { LiveEvents } from '../events/live-events'
import type { Presence, PresenceStore } from './presence-store'
import { signingKeyOf, type GatewayView } from './view'

/** A presence message may claim a connection at most this far ahead of the hub's clock. */
const PRESENCE_CLOCK_SKEW_MAX_MS = 5 * MINUTE_MS
/** Gateways set offline per read when the embedded broker starts. */
const OFFLINE_PAGE_ROWS = 500

/** What became of a presence message: applied, or why not. */
export type PresenceOutcome =
  | 'applied'
  /** What the hub knows already: a retained message delivered again. */
  | 'unchanged'
  | 'malformed'
  /** Published on another gateway's topic than the one it names. */
  | 'wrong-gateway'
  /** No provisioned gateway has that EUI. */
  | 'unknown-gateway'
  | 'bad-signature'
  /** Its connection time is ahead of the hub's clock by more than PRESENCE_CLOCK_SKEW_MAX_MS. */
  | 'from-the-future'
  /** For a connection older than the one the hub knows, or an online after that connection's offline. */
  | 'stale'

export interface GatewayPresenceDependencies {
  readonly store: PresenceStore
  gateway(eui: string): Promise<GatewayView | undefined>
  readonly events: Pick<LiveEvents, 'publish'>
  readonly clock: Pick<Clock, 'now_ms'>
  readonly ed25519: Ed25519
}

export class GatewayPresenceTracker {
  constructor(private readonly deps: GatewayPresenceDependencies) {}

  /** The embedded broker saw the gateway's connection open (online) or close. */
  async connection(eui: string, online: boolean): Promise<void> {
    const presence = { online, lastSeenAtMs: this.deps.clock.now_ms(), connectedAtMs: null }
    const { known } = await this.deps.store.change(eui, () => presence)
    if (online !== (known?.online ?? false)) await this.announce(eui, presence)
  }

  /** A GatewayPresence from the gateway's status topic: applied if the gateway signed it and it is news. */
  async report(topicEui: string, payload: Uint8Array): Promise<PresenceOutcome> {
    let message: Signed<GatewayPresence>
    try {
      message = gatewayPresenceCodec.decode(payload)
    } catch (error) {
      if (isProtocolError(error)) return 'malformed'
      throw error
    }
    if (message.gatewayEui !== topicEui) return 'wrong-gateway'
    const key = signingKeyOf(await this.deps.gateway(topicEui))
    if (key === undefined) return 'unknown-gateway'
    if (!gatewayPresenceCodec.verify(message, key, this.deps.ed25519)) return 'bad-signature'
    const now_ms = this.deps.clock.now_ms()
    if (message.connectedAtMs > now_ms + PRESENCE_CLOCK_SKEW_MAX_MS) return 'from-the-future'
    const presence = { online: message.online, lastSeenAtMs: now_ms, connectedAtMs: message.connectedAtMs }
    // Decided against the presence read in the transaction that records it.
    const { known, recorded } = await this.deps.store.change(topicEui, known => (newsOf(message, known) === 'applied' ? presence : undefined))
    if (recorded === undefined) return newsOf(message, known)
    if (presence.online !== (known?.online ?? false)) await this.announce(topicEui, presence)
    return 'applied'
  }

  /**
   * The embedded broker is starting, so no gateway is connected: every gateway recorded online (the hub stopped
   * without seeing them go) is offline, last seen when it was.
   */
  async allOffline(): Promise<void> {
    for (let euis = await this.deps.store.onlineEuis(OFFLINE_PAGE_ROWS); euis.length > 0; euis = await this.deps.store.onlineEuis(OFFLINE_PAGE_ROWS)) {
      for (const eui of euis) {
        // Offline, keeping when it was last seen: the hub does not know when the connection went.
        const { recorded } = await this.deps.store.change(eui, known => (known?.online === true ? { ...known, online: false } : undefined))
        if (recorded !== undefined) await this.announce(eui, recorded)
      }
    }
  }

  private async announce(eui: string, presence: Presence): Promise<void> {
    const gateway = await this.deps.gateway(eui)
    if (gateway === undefined) return
    this.deps.events.publish({
      type: 'gateway.presence', data: { gatewayId: gateway.id, online: presence.online, lastSeenAtMs: presence.lastSeenAtMs },
    })
  }
}

/** Whether a presence message is news against what the hub knows of the gateway: 'applied' if it is. Pure. */
function newsOf(message: Pick<GatewayPresence, 'online' | 'connectedAtMs'>, known: Presence | undefined): PresenceOutcome {
  if (known === undefined || known.connectedAtMs === null) return 'applied'
  if (message.connectedAtMs < known.connectedAtMs) return 'stale'
  if (message.connectedAtMs === known.connectedAtMs) {
    if (message.online === known.online) return 'unchanged'
    // One connection says online, then (its last will) offline: never the other way round.
    if (message.online) return 'stale'
  }
  return 'applied'
}
