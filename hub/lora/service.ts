// The hub's LoRa path, started with the hub when a network server is configured: one MQTT
// client at the network server's broker (persistent session, reconnects with backoff), the
// uplinks to LoraReports, and each new revocation list out as downlinks to the gateways that
// reported over LoRa. A network server that cannot be reached never keeps the hub from
// starting: the first connection is retried in the background, with backoff, until it is made.

import type { RevocationList } from '../../protocol/messages/revocation-list'
import type { Ed25519 } from '../../protocol/signature/ed25519'
import type { HubContext } from '../context'
import type { IngestGateway } from '../ingest/ingest'
import {
  connectHubClient, RECONNECT_INITIAL_MS_DEFAULT, RECONNECT_MAX_MS_DEFAULT, type HubClient, type HubClientOptions,
} from '../mqtt/hub-client'
import type { Revocations } from '../vouchers/revocations'
import { sendRevocationDownlinks } from './downlinks'
import { LoraReports } from './reports'
import type { LoraSettings } from './settings'
import { LoraStore } from './store'

export const LORA_CLIENT_ID = 'payall-hub-lora'
/** Each first-connection attempt; stop() waits at most this long for one in progress. */
export const LORA_CONNECT_TIMEOUT_MS_DEFAULT = 5_000

export interface LoraPathDependencies {
  settings: LoraSettings
  revocations: Revocations
  gateway(eui: string): IngestGateway | undefined
  ed25519: Ed25519
  /** Test hooks: faster reconnects and timeouts. */
  client?: Partial<Pick<HubClientOptions, 'reconnectInitial_ms' | 'reconnectMax_ms' | 'connectTimeout_ms' | 'closeTimeout_ms'>>
}

export interface LoraPath {
  readonly reports: LoraReports
  /** Resolves once subscribed at the network server's broker (at once when it is). */
  connected(): Promise<void>
  /** Settles once the downlinks of every list issued so far are queued at the broker (or failed, logged). */
  idle(): Promise<void>
  stop(): Promise<void>
}

export function startLoraPath(context: HubContext, deps: LoraPathDependencies): LoraPath {
  const { settings } = deps
  const { log, clock } = context
  const store = new LoraStore(context.db)
  let client: HubClient | undefined
  // Lists go out one after the other, in serial order, without holding up the revocation itself.
  // Without a connection they are not queued now; each gateway marked behind gets the latest list
  // whole at its next report (and the full list over IP whenever it has IP).
  let sending: Promise<void> = Promise.resolve()
  const queue = async (list: RevocationList, previous: RevocationList | undefined, onlyEui?: string): Promise<void> => {
    const connection = client
    if (connection === undefined) {
      log.warn({ serial: list.serial }, 'lora: no network server connection; revocation downlinks wait for each gateway\'s next report')
      return
    }
    try {
      const sent = await sendRevocationDownlinks({
        store, format: settings.format, downlinkPort: settings.downlinkPort, hubKeys: context.hubKeys, ed25519: deps.ed25519,
        publish: downlink => connection.publish(downlink.topic, downlink.payload, { qos: settings.format.name === 'tts' ? 0 : 1 }),
      }, list, previous, onlyEui)
      if (sent > 0) log.info({ lora: { serial: list.serial, downlinks: sent } }, 'lora: revocations queued as downlinks')
    } catch (error) {
      log.warn({ err: error, serial: list.serial }, 'lora: revocation downlinks not all queued; the gateways left go at their next report')
    }
  }
  const send = (list: RevocationList, previous: RevocationList | undefined): void => {
    sending = sending.then(() => queue(list, previous))
  }
  /** The latest list, whole, to a gateway whose queued serial is behind it, checked when its turn comes. */
  const catchUp = (eui: string): void => {
    sending = sending.then(async () => {
      const latest = deps.revocations.latest()
      const queued = store.device(eui)?.revocationSerialQueued
      if (latest !== undefined && queued !== undefined && queued < latest.serial) await queue(latest, undefined, eui)
    })
  }
  const reports = new LoraReports({
    store, format: settings.format, uplinkPort: settings.uplinkPort, gateway: deps.gateway, clock, log,
    // A gateway new to LoRa may have missed lists issued while it had no IP, and any gateway may
    // have missed lists whose downlinks never reached the network server: it gets the latest whole.
    reported: eui => catchUp(eui),
  })
  const retryInitial_ms = deps.client?.reconnectInitial_ms ?? RECONNECT_INITIAL_MS_DEFAULT
  const retryMax_ms = deps.client?.reconnectMax_ms ?? RECONNECT_MAX_MS_DEFAULT

  let stopping = false
  let wakeRetry: (() => void) | undefined
  const connecting = (async () => {
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
          ...deps.client,
        })
        await candidate.subscribe(settings.format.uplinkFilter, (topic, payload) => {
          reports.handle(topic, new Uint8Array(payload))
        })
        if (stopping) {
          await candidate.close()
          return
        }
        client = candidate
        log.info({ lora: { format: settings.format.name } }, 'lora: subscribed to the network server')
        return
      } catch (error) {
        await candidate?.close()
        const delay_ms = Math.min(retryMax_ms, retryInitial_ms * 2 ** Math.min(attempt, 30))
        log.warn({ err: error, delay_ms }, 'lora: the network server cannot be reached; trying again')
        await new Promise<void>(resolve => {
          const timer = setTimeout(resolve, delay_ms)
          wakeRetry = () => {
            clearTimeout(timer)
            resolve()
          }
        })
      }
    }
  })()

  const unsubscribe = deps.revocations.onIssued(async (list, previous) => {
    send(list, previous)
  })

  return {
    reports,
    connected: () => connecting,
    idle: () => sending,
    async stop() {
      stopping = true
      wakeRetry?.()
      unsubscribe()
      await connecting
      // Closed first: a publish waiting for a broker that went away then fails (its gateways are
      // left marked behind) instead of holding the hub's stop forever.
      await client?.close()
      await sending
    },
  }
}
