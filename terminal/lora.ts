// The terminal's LoRa side: while the IP link is down, a CommitmentFrame every interval tells the
// hub what the gateway holds (chain head, unsynced offline count and amount); the revocation
// downlinks the hub queues for it are put together, verified against the pinned hub key and
// applied to the store, which remembers them so a replay is refused after a restart too. The modem is the LoraModem interface (hardware/lora/modem.ts); the
// gateway's EUI is the modem's DevEUI. The clock is injected.

import { LoraError, type LoraDownlink, type LoraJoinSettings, type LoraModem } from '../hardware/lora/modem'
import { repeat, type Cancel, type Clock } from '../protocol/clock'
import { ProtocolError } from '../protocol/errors'
import { COMMITMENT_HEAD_BYTES, commitmentFrameCodec, type CommitmentFrame } from '../protocol/messages/commitment-frame'
import { FragmentReassembler, LoraRevocationKind, loraRevocationCodec, type LoraRevocation } from '../protocol/messages/lora-revocation'
import type { Ed25519 } from '../protocol/signature/ed25519'
import type { TerminalEmitter } from './events'
import type { TerminalStore } from './store/store'

/** How often a CommitmentFrame goes out while the IP link is down. */
export const LORA_INTERVAL_MS_DEFAULT = 15 * 60 * 1000
const U16_MAX = 0xffff
const U48_MAX = 2 ** 48 - 1

interface LoraSettings {
  readonly interval_ms: number
  readonly uplinkPort: number
  readonly downlinkPort: number
}

export interface LoraReporterOptions {
  store: TerminalStore
  events: TerminalEmitter
  modem: LoraModem
  /** The time in each frame, and the report interval. */
  clock: Clock
  ed25519: Ed25519
  settings: LoraSettings
  /** The link's state when the reporter starts (TerminalSync.online); 'link' events follow it after. */
  online: boolean
  /**
   * How the modem joins: one that lost its session (it answered not joined, or rebooted) is joined
   * again before the next report. Without them, whoever joined it must notice.
   */
  join?: LoraJoinSettings
}

export type RevocationRefusal = 'malformed' | 'bad-signature' | 'stale' | 'replayed' | 'not-provisioned'

export class LoraReporter {
  private online: boolean
  private stopReports: Cancel | undefined
  private sending: Promise<void> | undefined
  private stopDownlinks: (() => void) | undefined
  private readonly reassembler = new FragmentReassembler()

  private readonly onLink = ({ online }: { online: boolean }): void => {
    this.online = online
    if (online) this.stopTimer()
    else this.startTimer()
  }

  constructor(private readonly options: LoraReporterOptions) {
    this.online = options.online
  }

  start(): void {
    this.options.events.on('link', this.onLink)
    this.stopDownlinks = this.options.modem.onDownlink(downlink => this.onDownlink(downlink))
    if (!this.online) this.startTimer()
  }

  /** Stops the interval and the listeners, and waits for an uplink in flight. */
  async stop(): Promise<void> {
    this.stopTimer()
    this.options.events.off('link', this.onLink)
    this.stopDownlinks?.()
    await this.sending
  }

  /** Settles once the uplink in flight, if any, is done. */
  async idle(): Promise<void> {
    await this.sending
  }

  /** What the gateway holds now, as the hub will read it. */
  frame(): CommitmentFrame | undefined {
    const { store, clock } = this.options
    const currency = store.riskConfig()?.currency
    if (currency === undefined) return undefined
    const head = store.chainHead()
    const exposure = store.exposure(currency)
    return {
      gatewaySeq: head.gatewaySeq,
      // The risk limits keep both far below these bounds; saturating keeps a frame sendable.
      unsyncedCount: Math.min(exposure.unsyncedCount, U16_MAX),
      unsyncedAmountMinor: Math.min(exposure.unsyncedTotalMinor, U48_MAX),
      currency,
      headPrefix: head.hash.slice(0, COMMITMENT_HEAD_BYTES),
      timeS: Math.floor(clock.now_ms() / 1000),
    }
  }

  /** Sends one frame, joining the modem first if it lost its session; a modem error is reported as a 'sync-error' event, never thrown. */
  async report(): Promise<void> {
    const frame = this.frame()
    if (frame === undefined) return
    const { modem, settings, events, join } = this.options
    try {
      if (!modem.joined && join !== undefined) await modem.join(join)
      await modem.send(settings.uplinkPort, commitmentFrameCodec.encode(frame))
      events.emit('lora-report', { gatewaySeq: frame.gatewaySeq, unsyncedCount: frame.unsyncedCount, unsyncedAmountMinor: frame.unsyncedAmountMinor })
    } catch (error) {
      if (!(error instanceof LoraError)) throw error
      events.emit('sync-error', { code: `LORA_${error.code}`, message: `the LoRa report was not sent: ${error.message}` })
    }
  }

  private startTimer(): void {
    if (this.stopReports !== undefined) return
    this.stopReports = repeat(this.options.clock, () => this.tick(), this.options.settings.interval_ms)
  }

  private stopTimer(): void {
    this.stopReports?.()
    this.stopReports = undefined
  }

  private tick(): void {
    // One uplink at a time: a modem still busy with the last one skips this turn.
    if (this.online || this.sending !== undefined) return
    this.sending = this.report()
      .catch(error => this.options.events.emit('sync-error', { code: 'LORA_REPORT_FAILED', message: String(error) }))
      .finally(() => {
        this.sending = undefined
      })
  }

  private onDownlink(downlink: LoraDownlink): void {
    if (downlink.port !== this.options.settings.downlinkPort) return
    let message: Uint8Array | undefined
    try {
      message = this.reassembler.accept(downlink.payload)
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error
      this.refuse('malformed')
      return
    }
    if (message !== undefined) this.applyRevocation(message)
  }

  /** Verifies a whole LoraRevocation and adds its vouchers to the revoked ones; returns the refusal, if any. */
  applyRevocation(bytes: Uint8Array): RevocationRefusal | undefined {
    const { store, ed25519, events, clock } = this.options
    let revocation: LoraRevocation
    try {
      revocation = loraRevocationCodec.decode(bytes)
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error
      return this.refuse('malformed')
    }
    const pin = store.hubPin()
    if (pin === undefined) return this.refuse('not-provisioned')
    if (!loraRevocationCodec.verify(revocation, pin.publicKey, ed25519)) return this.refuse('bad-signature')
    const applied = store.revocations.applyLora(revocation, clock.now_ms())
    if (applied !== 'applied') return this.refuse(applied)
    events.emit('lora-revocations', {
      kind: revocation.kind === LoraRevocationKind.Added ? 'added' : 'listed', serial: revocation.serial, index: revocation.index,
      count: revocation.voucherIds.length,
    })
    return undefined
  }

  private refuse(refusal: RevocationRefusal): RevocationRefusal {
    // Old or repeated downlinks are normal over LoRa (a list the gateway got over IP since, a duplicate): not errors.
    if (refusal !== 'stale' && refusal !== 'replayed') {
      this.options.events.emit('sync-error', { code: 'LORA_REVOCATION_REFUSED', message: `a LoRa revocation was ignored: ${refusal}` })
    }
    return refusal
  }
}
