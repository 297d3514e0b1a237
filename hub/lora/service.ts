// The hub's LoRa path, started with the hub when a network server is configured: one MQTT
// client at the network server's broker (persistent session, reconnects with backoff), the
// uplinks to LoraReports, what each revocation delta adds out as downlinks to the gateways that
// reported over LoRa, and the whole list, a step at each report, to a gateway that is behind. A
// network server that cannot be reached never keeps the hub from starting: the first connection
// is retried in the background, with backoff, until it is made.

import type { Ed25519 } from '../../protocol/signature/ed25519'
import type { HubContext } from '../context'
import type { GatewayView } from '../gateways/view'
import {
  connectHubClient, RECONNECT_INITIAL_MS_DEFAULT, RECONNECT_MAX_MS_DEFAULT, type HubClient, type HubClientOptions,
} from '../mqtt/hub-client'
import type { Revocations } from '../vouchers/revocations'
import { RevocationDownlinks } from './downlink-steps'
import { LoraReports } from './reports'
import type { LoraSettings } from './settings'
import { LoraStore } from './store'

const LORA_CLIENT_ID = 'payall-hub-lora'
/** Each first-connection attempt; stop() waits at most this long for one in progress. */
const LORA_CONNECT_TIMEOUT_MS_DEFAULT = 5_000

export interface LoraPathDependencies {
  settings: LoraSettings
  revocations: Revocations
  gateway(eui: string): Promise<GatewayView | undefined>
  ed25519: Ed25519
  /** Test hooks: faster reconnects and timeouts. */
  client?: Partial<Pick<HubClientOptions, 'reconnectInitial_ms' | 'reconnectMax_ms' | 'connectTimeout_ms' | 'closeTimeout_ms'>>
}

export interface LoraPath {
  readonly reports: LoraReports
  /** Resolves once subscribed at the network server's broker (at once when it is). */
  connected(): Promise<void>
  /** Settles once the downlinks of every delta and report so far are queued at the broker (or failed, logged). */
  idle(): Promise<void>
  stop(): Promise<void>
}

export function startLoraPath(context: HubContext, deps: LoraPathDependencies): LoraPath {
  const { settings } = deps
  const { log, clock } = context
  const store = new LoraStore(context.engine)
  let client: HubClient | undefined
  const downlinks = new RevocationDownlinks({
    store, settings, hubKeys: context.hubKeys, ed25519: deps.ed25519, log,
    listed: {
      serial: () => deps.revocations.serial(),
      listedAfter: (afterIdHex, count_max) => deps.revocations.store.listedAfter(afterIdHex, count_max),
    },
  })
  const reports = new LoraReports({
    store, format: settings.format, uplinkPort: settings.uplinkPort, gateway: deps.gateway, clock, log,
    // A gateway new to LoRa may have missed deltas issued while it had no IP, and any gateway may
    // have missed deltas whose downlinks never reached the network server: it is walked through the list.
    reported: eui => downlinks.catchUp(eui),
  })
  const subscribing = subscribeWithRetry(context, deps, {
    uplink: (topic, payload) => {
      reports.handle(topic, payload).catch((error: unknown) => log.warn({ err: error, lora: { topic } }, 'lora: an uplink was not stored'))
    },
    subscribed: (candidate) => {
      client = candidate
      downlinks.connection = candidate
    },
  })

  const unsubscribe = deps.revocations.onDelta(async delta => {
    downlinks.send(delta)
  })

  return {
    reports,
    connected: () => subscribing.done,
    idle: () => downlinks.idle(),
    async stop() {
      subscribing.stop()
      unsubscribe()
      await subscribing.done
      // Closed first: a publish waiting for a broker that went away then fails (its gateways are
      // left marked behind) instead of holding the hub's stop forever.
      await client?.close()
      await downlinks.idle()
    },
  }
}

/**
 * Connects to the network server's broker and subscribes to the uplinks, trying again with a
 * doubling delay until it is made or stop() is called.
 */
function subscribeWithRetry(
  { log, clock }: Pick<HubContext, 'log' | 'clock'>,
  { settings, client: clientOptions }: Pick<LoraPathDependencies, 'settings' | 'client'>,
  on: { uplink(topic: string, payload: Uint8Array): void; subscribed(client: HubClient): void },
): { readonly done: Promise<void>; stop(): void } {
  const retryInitial_ms = clientOptions?.reconnectInitial_ms ?? RECONNECT_INITIAL_MS_DEFAULT
  const retryMax_ms = clientOptions?.reconnectMax_ms ?? RECONNECT_MAX_MS_DEFAULT
  let stopping = false
  let wakeRetry: (() => void) | undefined
  // A stop gives up the attempt under way: a network server that never answers does not hold it for the connect timeout.
  const attempts = new AbortController()
  const done = (async () => {
    for (let attempt = 0; !stopping; attempt++) {
      let candidate: HubClient | undefined
      try {
        candidate = await connectHubClient({
          url: settings.url,
          username: settings.username ?? '',
          password: settings.password ?? '',
          clientId: LORA_CLIENT_ID,
          log: event => log.debug({ lora: event }, `lora client: ${event.kind}`),
          connectTimeout_ms: LORA_CONNECT_TIMEOUT_MS_DEFAULT,
          ...clientOptions,
        }, attempts.signal)
        await candidate.subscribe(settings.format.uplinkFilter, (topic, payload) => {
          on.uplink(topic, new Uint8Array(payload))
        })
        if (stopping) {
          await candidate.close()
          return
        }
        on.subscribed(candidate)
        log.info({ lora: { format: settings.format.name } }, 'lora: subscribed to the network server')
        return
      } catch (error) {
        await candidate?.close()
        if (stopping) return
        const delay_ms = Math.min(retryMax_ms, retryInitial_ms * 2 ** Math.min(attempt, 30))
        log.warn({ err: error, delay_ms }, 'lora: the network server cannot be reached; trying again')
        await new Promise<void>(resolve => {
          const cancel = clock.setTimer(resolve, delay_ms)
          wakeRetry = () => {
            cancel()
            resolve()
          }
        })
      }
    }
  })()
  return {
    done,
    stop() {
      stopping = true
      attempts.abort()
      wakeRetry?.()
    },
  }
}
