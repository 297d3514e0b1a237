// The hub's LoRa path, started with the hub when a network server is configured: one MQTT
// client at the network server's broker (persistent session, reconnects with backoff), the
// uplinks to LoraReports, and each new revocation list out as downlinks to the gateways that
// reported over LoRa.

import type { RevocationList } from '../../protocol/messages/revocation-list'
import type { Ed25519 } from '../../protocol/signature/ed25519'
import type { HubContext } from '../context'
import type { IngestGateway } from '../ingest/ingest'
import { connectHubClient, type HubClient, type HubClientOptions } from '../mqtt/hub-client'
import type { Revocations } from '../vouchers/revocations'
import { sendRevocationDownlinks } from './downlinks'
import { LoraReports } from './reports'
import type { LoraSettings } from './settings'
import { LoraStore } from './store'

export const LORA_CLIENT_ID = 'payall-hub-lora'

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
  /** Settles once the downlinks of every list issued so far are queued at the broker (or failed, logged). */
  idle(): Promise<void>
  stop(): Promise<void>
}

export async function startLoraPath(context: HubContext, deps: LoraPathDependencies): Promise<LoraPath> {
  const { settings } = deps
  const { log, clock } = context
  const store = new LoraStore(context.db)
  const reports = new LoraReports({
    store, format: settings.format, uplinkPort: settings.uplinkPort, gateway: deps.gateway, clock, log,
  })
  const client: HubClient = await connectHubClient({
    url: settings.url,
    username: settings.username ?? '',
    password: settings.password ?? '',
    clientId: LORA_CLIENT_ID,
    log: event => log.debug({ lora: event }, `lora client: ${event.kind}`),
    ...deps.client,
  })
  try {
    await client.subscribe(settings.format.uplinkFilter, (topic, payload) => {
      reports.handle(topic, new Uint8Array(payload))
    })
  } catch (error) {
    await client.close()
    throw error
  }

  // Lists go out one after the other, in serial order, without holding up the revocation itself.
  let sending: Promise<void> = Promise.resolve()
  const send = (list: RevocationList, previous: RevocationList | undefined): Promise<void> => {
    sending = sending.then(async () => {
      const sent = await sendRevocationDownlinks({
        store, format: settings.format, downlinkPort: settings.downlinkPort, hubKeys: context.hubKeys, ed25519: deps.ed25519,
        publish: downlink => client.publish(downlink.topic, downlink.payload, { qos: settings.format.name === 'tts' ? 0 : 1 }),
      }, list, previous)
      if (sent > 0) log.info({ lora: { serial: list.serial, downlinks: sent } }, 'lora: revocations queued as downlinks')
    }).catch(error => log.warn({ err: error, serial: list.serial }, 'lora: revocation downlinks not all queued'))
    return Promise.resolve()
  }
  const unsubscribe = deps.revocations.onIssued(send)

  return {
    reports,
    idle: () => sending,
    async stop() {
      unsubscribe()
      await sending
      await client.close()
    },
  }
}
