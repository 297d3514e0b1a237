// What both AT modem drivers share: the join, send and receive flow over one AtLine, checking join
// settings and payloads before anything is written, and handing downlinks to listeners that cannot
// break the driver. A driver (rak3172.ts, rn2483.ts) brings only its dialect: the commands it
// writes and how it reads the modem's replies.

import type { Clock } from '../../protocol/clock'
import { AtLine, type AtSession, type LineNoise, type SerialLink } from './at-line'
import {
  LORA_REGIONS, LoraError, assertApplicationPort, maxPayloadBytes,
  type LoraDownlink, type LoraJoinSettings, type LoraModem, type LoraRegion,
} from './modem'

const EUI_HEX = /^[0-9A-Fa-f]{16}$/
const KEY_HEX = /^[0-9A-Fa-f]{32}$/
const LISTENERS_MAX = 32

/** The keys as both modems take them: upper-case hex, no separators. */
export interface JoinKeys {
  readonly devEui: string
  readonly appEui: string
  readonly appKey: string
}

/** The keys in the upper-case hex both modems take; BAD_SETTINGS before any byte is written. */
function checkJoinSettings(settings: LoraJoinSettings): JoinKeys {
  if (typeof settings !== 'object' || settings === null) throw new LoraError('BAD_SETTINGS', 'join settings are required')
  if (!LORA_REGIONS.includes(settings.region)) throw new LoraError('BAD_SETTINGS', `unknown region ${String(settings.region)}`)
  const hex = (value: unknown, pattern: RegExp, field: string, digits: number): string => {
    if (typeof value !== 'string') throw new LoraError('BAD_SETTINGS', `${field} must be ${digits} hex digits`)
    const compact = value.replace(/[-:]/g, '')
    if (!pattern.test(compact)) throw new LoraError('BAD_SETTINGS', `${field} must be ${digits} hex digits`)
    return compact.toUpperCase()
  }
  return {
    devEui: hex(settings.devEui, EUI_HEX, 'devEui', 16),
    appEui: hex(settings.appEui, EUI_HEX, 'appEui', 16),
    appKey: hex(settings.appKey, KEY_HEX, 'appKey', 32),
  }
}

/** Refuses what the modem would refuse, or worse, send: not bytes, empty, larger than the data rate carries. */
function checkPayload(payload: Uint8Array, max_bytes: number): void {
  if (!(payload instanceof Uint8Array)) throw new LoraError('BAD_PAYLOAD', 'the payload must be bytes')
  if (payload.length === 0) throw new LoraError('BAD_PAYLOAD', 'the payload is empty')
  if (payload.length > max_bytes) {
    throw new LoraError('PAYLOAD_TOO_LARGE', `${payload.length} bytes, the current data rate carries ${max_bytes}`)
  }
}

/** A downlink's bytes, or undefined for what is not an application downlink (port 0, bad hex). */
function downlinkPayload(port: number, hex: string): Uint8Array | undefined {
  if (!Number.isInteger(port) || port < 1 || port > 223) return undefined
  if (!/^(?:[0-9A-Fa-f]{2})*$/.test(hex)) return undefined
  return new Uint8Array(Buffer.from(hex, 'hex'))
}

class DownlinkListeners {
  private readonly listeners = new Set<(downlink: LoraDownlink) => void>()

  add(listener: (downlink: LoraDownlink) => void): () => void {
    if (this.listeners.size >= LISTENERS_MAX) throw new LoraError('BAD_SETTINGS', `more than ${LISTENERS_MAX} downlink listeners`)
    this.listeners.add(listener)
    return () => {
      this.listeners.delete(listener)
    }
  }

  emit(downlink: LoraDownlink): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(downlink)
      } catch {
        // A listener's failure is its own; the modem goes on.
      }
    }
  }
}

/** How long an AT modem waits for each kind of answer. */
export interface AtModemTimeouts {
  /** For a command's OK or error. */
  readonly reply_timeout_ms: number
  /** For the network's answer to a join. */
  readonly join_timeout_ms: number
  /** For the end of an uplink: airtime, both receive windows and retransmissions. */
  readonly send_timeout_ms: number
}

/**
 * A LoraModem over an AT line: configure and join, send within what the data rate carries, hear
 * downlinks. Each command runs alone on the line; the dialect's methods below say what to write
 * and how to read the replies.
 */
export abstract class AtModem implements LoraModem {
  abstract readonly model: LoraModem['model']
  private readonly line: AtLine
  private readonly downlinks = new DownlinkListeners()
  protected region: LoraRegion = 'EU868'
  protected dataRateNow = 0
  protected joinedNow = false

  /** Takes an open port and the clock its timeouts run on; close() leaves the port open for its owner. */
  constructor(port: SerialLink, clock: Clock, protected readonly timeouts: AtModemTimeouts, onNoise?: (noise: LineNoise) => void) {
    this.line = new AtLine(port, clock, {
      onUnsolicited: (text) => this.unsolicited(text),
      ...(onNoise !== undefined ? { onNoise } : {}),
    })
  }

  get joined(): boolean {
    return this.joinedNow
  }

  /** The data rate the modem reported last (ADR may change it after any uplink). */
  get dataRate(): number {
    return this.dataRateNow
  }

  maxPayloadBytes(): number {
    return maxPayloadBytes(this.region, this.dataRateNow)
  }

  version(): Promise<string> {
    return this.line.exclusive((session) => this.readVersion(session))
  }

  async join(settings: LoraJoinSettings): Promise<void> {
    const keys = checkJoinSettings(settings)
    if (!this.regions.includes(settings.region)) throw new LoraError('BAD_SETTINGS', `the ${this.model.toUpperCase()} has no ${settings.region} band`)
    return this.line.exclusive(async (session) => {
      this.joinedNow = false
      for (const command of this.regionCommands(settings.region)) await this.command(session, command)
      this.region = settings.region
      this.dataRateNow = 0
      for (const command of this.keyCommands(keys)) await this.command(session, command)
      await this.command(session, this.joinCommand())
      await session.expect(this.timeouts.join_timeout_ms, (text) => this.joinAnswer(text))
      this.joinedNow = true
      this.dataRateNow = await this.readDataRate(session)
    })
  }

  /** Sets the uplink data rate; the modem's ADR may change it again. */
  async setDataRate(dataRate: number): Promise<void> {
    maxPayloadBytes(this.region, dataRate)
    return this.line.exclusive(async (session) => {
      await this.command(session, this.dataRateCommand(dataRate))
      this.dataRateNow = dataRate
    })
  }

  async send(port: number, payload: Uint8Array, options: { readonly confirmed?: boolean } = {}): Promise<void> {
    assertApplicationPort(port)
    checkPayload(payload, this.maxPayloadBytes())
    if (!this.joinedNow) throw new LoraError('NOT_JOINED', 'join before sending')
    const confirmed = options.confirmed === true
    const hex = Buffer.from(payload).toString('hex').toUpperCase()
    return this.line.exclusive(async (session) => {
      // An uplink ahead of this one may have moved the data rate (ADR) or lost the session.
      checkPayload(payload, this.maxPayloadBytes())
      if (!this.joinedNow) throw new LoraError('NOT_JOINED', 'the session ended before this uplink')
      await this.transmit(session, port, hex, confirmed)
      await session.expect(this.timeouts.send_timeout_ms, (text) => this.sendAnswer(text, confirmed))
      this.dataRateNow = await this.readDataRate(session)
    })
  }

  onDownlink(listener: (downlink: LoraDownlink) => void): () => void {
    return this.downlinks.add(listener)
  }

  async close(): Promise<void> {
    this.line.close()
  }

  /** Writes `command` and waits for the dialect's OK; its refusal fails the command. */
  protected async command(session: AtSession, command: string): Promise<void> {
    await session.write(command)
    await session.expect(this.timeouts.reply_timeout_ms, (text) => this.commandAnswer(text, command))
  }

  /** A downlink's bytes to the listeners; what is not an application downlink (port 0, bad hex) is dropped. */
  protected deliver(port: number, hex: string, signal: { readonly rssi?: number; readonly snr?: number } = {}): void {
    const payload = downlinkPayload(port, hex)
    if (payload === undefined) return
    this.downlinks.emit({ port, payload, ...(signal.rssi !== undefined ? { rssi: signal.rssi } : {}), ...(signal.snr !== undefined ? { snr: signal.snr } : {}) })
  }

  /** A line no command claimed: an event, a late reply, garbage. */
  protected abstract unsolicited(text: string): void
  /** The regions the modem has a band for; a join in another is BAD_SETTINGS before any byte is written. */
  protected abstract readonly regions: readonly LoraRegion[]
  protected abstract readVersion(session: AtSession): Promise<string>
  /** The commands, each answered OK, that put the modem in LoRaWAN OTAA on the region's band (its data rate back to 0). */
  protected abstract regionCommands(region: LoraRegion): readonly string[]
  /** The commands, each answered OK, that set the keys. */
  protected abstract keyCommands(keys: JoinKeys): readonly string[]
  protected abstract joinCommand(): string
  /** The network's answer to the join: true when accepted, undefined to keep waiting; throws JOIN_FAILED when refused. */
  protected abstract joinAnswer(text: string): true | undefined
  protected abstract dataRateCommand(dataRate: number): string
  /** Writes the uplink's command(s), each answered OK. */
  protected abstract transmit(session: AtSession, port: number, hex: string, confirmed: boolean): Promise<void>
  /** The end of the uplink: true when it went (and, confirmed, was confirmed), undefined to keep waiting; throws when it failed. */
  protected abstract sendAnswer(text: string, confirmed: boolean): true | undefined
  /** A command's OK (true) or its refusal (thrown as the LoraError it means); undefined to keep waiting. */
  protected abstract commandAnswer(text: string, command: string): true | undefined
  /** The data rate the modem uses now. */
  protected abstract readDataRate(session: AtSession): Promise<number>
}
