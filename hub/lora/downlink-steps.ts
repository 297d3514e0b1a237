// The LoRa path's downlinks go out one step after the other, in order, without holding up the
// revocation itself: what each delta adds, and the next step of the whole list to a gateway
// behind. Without a connection nothing is queued: the gateways are left behind, and each is walked
// through the whole list from its next report on (and gets it over IP whenever it has IP).

import type { FastifyBaseLogger } from 'fastify'
import type { RevocationDelta } from '../../protocol/messages/revocation-delta'
import { QueueFullError, SerialQueue } from '../../protocol/serial-queue'
import type { HubClient } from '../mqtt/hub-client'
import { sendCatchUpDownlinks, sendDeltaDownlinks, type ListedVouchers, type RevocationDownlinkDependencies } from './downlinks'
import type { LoraSettings } from './settings'

/**
 * Steps queued or going out at once. Past it a step is dropped and logged: its gateways are left
 * behind and walked through the list from their next report on, as when there is no connection.
 */
const LORA_DOWNLINK_STEPS_MAX = 1_024

export interface RevocationDownlinksDependencies extends Pick<RevocationDownlinkDependencies, 'store' | 'hubKeys' | 'ed25519'> {
  readonly settings: Pick<LoraSettings, 'format' | 'downlinkPort' | 'catchUpDownlinksPerReport'>
  readonly listed: ListedVouchers
  readonly log: FastifyBaseLogger
}

export class RevocationDownlinks {
  /** The network server's broker, once the LoRa path is subscribed there. */
  connection: HubClient | undefined
  private readonly steps = new SerialQueue(LORA_DOWNLINK_STEPS_MAX, 'the LoRa downlink steps')
  private lastStep: Promise<void> = Promise.resolve()

  constructor(private readonly deps: RevocationDownlinksDependencies) {}

  /** Queues the downlinks of what `delta` adds, to every gateway that reported over LoRa. */
  send(delta: RevocationDelta): void {
    const { log } = this.deps
    this.enqueue(async connection => {
      if (connection === undefined) {
        log.warn({ serial: delta.serial }, 'lora: no network server connection; the gateways catch up from their next report')
        return
      }
      try {
        const sent = await sendDeltaDownlinks(this.downlinkDependencies(connection), delta)
        if (sent > 0) log.info({ lora: { serial: delta.serial, downlinks: sent } }, 'lora: revocations queued as downlinks')
      } catch (error) {
        log.warn({ err: error, serial: delta.serial },
          'lora: revocation downlinks not all queued; the gateways left catch up from their next report')
      }
    }, { serial: delta.serial })
  }

  /** Queues the next step of the whole list to `eui` if it is behind, decided when its turn comes. */
  catchUp(eui: string): void {
    const { log, listed, settings } = this.deps
    this.enqueue(async connection => {
      if (connection === undefined) return
      try {
        const sent = await sendCatchUpDownlinks(this.downlinkDependencies(connection), listed, eui, settings.catchUpDownlinksPerReport)
        if (sent > 0) log.info({ lora: { eui, downlinks: sent } }, 'lora: the next part of the revocation list queued for a gateway behind')
      } catch (error) {
        log.warn({ err: error, eui }, 'lora: a catch-up step was not queued; it is tried again at the gateway\'s next report')
      }
    }, { eui })
  }

  /** Settles once the downlinks of every step queued so far are queued at the broker (or failed, logged). */
  idle(): Promise<void> {
    return this.lastStep
  }

  private enqueue(step: (connection: HubClient | undefined) => Promise<void>, about: Record<string, unknown>): void {
    const before = this.lastStep
    this.lastStep = this.steps.run(() => step(this.connection)).catch(error => {
      if (!(error instanceof QueueFullError)) throw error
      this.deps.log.warn({ err: error, ...about }, 'lora: too many downlink steps wait; the gateways left catch up from their next report')
      return before
    })
  }

  private downlinkDependencies(connection: HubClient): RevocationDownlinkDependencies {
    const { store, hubKeys, ed25519, settings } = this.deps
    return {
      store, format: settings.format, downlinkPort: settings.downlinkPort, hubKeys, ed25519,
      publish: downlink => connection.publish(downlink.topic, downlink.payload, { qos: settings.format.name === 'tts' ? 0 : 1 }),
    }
  }
}
