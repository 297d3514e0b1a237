// RAK3172 (RAKwireless RUI3 firmware) over its UART AT interface, 115200 8N1: configure LoRaWAN
// OTAA, join, send, hear `+EVT:RX_*` downlinks. Replies are read leniently: firmware versions
// differ in case, in spaces or underscores inside event names, and in extra or split RX fields.

import type { Clock } from '../../protocol/clock'
import { AtLine, type AtSession, type LineNoise, type SerialLink } from './at-line'
import { LoraError, assertApplicationPort, maxPayloadBytes, type LoraDownlink, type LoraJoinSettings, type LoraModem, type LoraRegion } from './modem'
import { DownlinkListeners, checkJoinSettings, checkPayload, downlinkPayload } from './modem-common'

export type Rui3Reply =
  | { readonly kind: 'ok' }
  | { readonly kind: 'error'; readonly code: string }
  | { readonly kind: 'joined' }
  | { readonly kind: 'join-failed'; readonly reason: string }
  | { readonly kind: 'tx-done' }
  | { readonly kind: 'send-confirmed'; readonly ok: boolean }
  /** A downlink event; `port` and `hex` are absent when the firmware sends them on a later line. */
  | { readonly kind: 'rx'; readonly window: string; readonly rssi?: number; readonly snr?: number; readonly port?: number; readonly hex?: string }
  /** The `port:hex` line that follows a split RX event. */
  | { readonly kind: 'rx-payload'; readonly port: number; readonly hex: string }
  | { readonly kind: 'value'; readonly name: string; readonly value: string }
  | { readonly kind: 'other'; readonly text: string }

const NUMBER = /^-?\d+(?:\.\d+)?$/
const HEX_TEXT = /^(?:[0-9A-Fa-f]{2})*$/

/** Reads one line from a RUI3 modem; never throws. */
export function parseRui3Line(line: string): Rui3Reply {
  const text = line.trim()
  const words = text.toUpperCase().replace(/[\s_]+/g, '_')
  if (words === 'OK') return { kind: 'ok' }
  if (/^AT_[A-Z_]*ERROR(?:_|$)/.test(words) || words === 'AT_NO_NETWORK_JOINED' || words === 'ERROR') return { kind: 'error', code: words }
  const event = /^\+EVT:\s*(.*)$/i.exec(text)
  if (event !== null) return parseEvent(event[1]!)
  const value = /^AT\+([A-Z0-9]+)\s*=\s*(.*)$/i.exec(text)
  if (value !== null) return { kind: 'value', name: value[1]!.toUpperCase(), value: value[2]!.trim() }
  return { kind: 'other', text }
}

function parseEvent(body: string): Rui3Reply {
  const words = body.toUpperCase().replace(/[\s_]+/g, '_')
  if (words.startsWith('JOINED')) return { kind: 'joined' }
  if (/^JOIN_?FAIL/.test(words)) return { kind: 'join-failed', reason: words }
  if (/^TX_?DONE/.test(words)) return { kind: 'tx-done' }
  if (/^SEND_?CONFIRMED_?OK/.test(words)) return { kind: 'send-confirmed', ok: true }
  if (/^SEND_?CONFIRMED_?FAIL/.test(words)) return { kind: 'send-confirmed', ok: false }
  const rx = /^RX_?([12CB])\b/i.exec(body.trim().replace(/\s+/g, ' ').replace(/^RX /i, 'RX_'))
  if (rx !== null) return parseRx(rx[1]!.toUpperCase(), body)
  const payload = /^(\d{1,3})\s*:\s*([0-9A-Fa-f]*)$/.exec(body.trim())
  if (payload !== null) return { kind: 'rx-payload', port: Number(payload[1]), hex: payload[2]! }
  return { kind: 'other', text: body.trim() }
}

// `RX_1:-28:8:UNICAST:2:00000710`, with extra fields on some firmware, or the older split form
// `RX_1, RSSI -28, SNR 8` followed by `+EVT:UNICAST` and `+EVT:2:00000710`.
function parseRx(window: string, body: string): Rui3Reply {
  const named = {
    rssi: /RSSI\s*[:=]?\s*(-?\d+)/i.exec(body)?.[1],
    snr: /SNR\s*[:=]?\s*(-?\d+(?:\.\d+)?)/i.exec(body)?.[1],
  }
  if (named.rssi !== undefined) {
    return { kind: 'rx', window, rssi: Number(named.rssi), ...(named.snr !== undefined ? { snr: Number(named.snr) } : {}) }
  }
  const fields = body.split(':').map((field) => field.trim())
  const rssi = fields[1] !== undefined && NUMBER.test(fields[1]) ? Number(fields[1]) : undefined
  const snr = fields[2] !== undefined && NUMBER.test(fields[2]) ? Number(fields[2]) : undefined
  const signal = { ...(rssi !== undefined ? { rssi } : {}), ...(snr !== undefined ? { snr } : {}) }
  // The port and payload are the last two fields, whatever the firmware puts between.
  if (fields.length >= 5) {
    const port = fields[fields.length - 2]!
    const hex = fields[fields.length - 1]!
    if (/^\d{1,3}$/.test(port) && HEX_TEXT.test(hex)) return { kind: 'rx', window, ...signal, port: Number(port), hex }
  }
  return { kind: 'rx', window, ...signal }
}

export interface Rak3172Options {
  /** For a command's OK or error. */
  readonly reply_timeout_ms?: number
  /** For `+EVT:JOINED` after `AT+JOIN`: the modem tries `joinAttempts` times, 10 s apart. */
  readonly join_timeout_ms?: number
  /** For `+EVT:TX_DONE` or `+EVT:SEND_CONFIRMED_*`: airtime, both RX windows and retransmissions. */
  readonly send_timeout_ms?: number
  readonly joinAttempts?: number
  readonly onNoise?: (noise: LineNoise) => void
}

export const RAK3172_BAUD_RATE = 115_200

const BANDS: Readonly<Record<LoraRegion, number>> = { EU868: 4, US915: 5 }

export class Rak3172 implements LoraModem {
  readonly model = 'rak3172'
  private readonly line: AtLine
  private readonly reply_timeout_ms: number
  private readonly join_timeout_ms: number
  private readonly send_timeout_ms: number
  private readonly joinAttempts: number
  private readonly downlinks = new DownlinkListeners()
  private region: LoraRegion = 'EU868'
  private dataRateNow = 0
  private confirmedUplinks: boolean | undefined
  private joinedNow = false
  private splitRx: { rssi?: number; snr?: number } | undefined

  /** Takes an open port at 115200 baud and the clock its timeouts run on; close() leaves the port open for its owner. */
  constructor(port: SerialLink, clock: Clock, options: Rak3172Options = {}) {
    this.reply_timeout_ms = options.reply_timeout_ms ?? 2_000
    this.joinAttempts = options.joinAttempts ?? 8
    this.join_timeout_ms = options.join_timeout_ms ?? (this.joinAttempts + 1) * 12_000
    this.send_timeout_ms = options.send_timeout_ms ?? 30_000
    this.line = new AtLine(port, clock, {
      onUnsolicited: (text) => this.unsolicited(text),
      ...(options.onNoise !== undefined ? { onNoise: options.onNoise } : {}),
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
    return this.line.exclusive((session) => this.query(session, 'VER'))
  }

  async join(settings: LoraJoinSettings): Promise<void> {
    const keys = checkJoinSettings(settings)
    return this.line.exclusive(async (session) => {
      this.joinedNow = false
      await this.command(session, 'AT+NWM=1')
      await this.command(session, 'AT+NJM=1')
      await this.command(session, `AT+BAND=${BANDS[settings.region]}`)
      this.region = settings.region
      this.dataRateNow = 0
      await this.command(session, `AT+DEVEUI=${keys.devEui}`)
      await this.command(session, `AT+APPEUI=${keys.appEui}`)
      await this.command(session, `AT+APPKEY=${keys.appKey}`)
      await this.command(session, `AT+JOIN=1:0:10:${this.joinAttempts}`)
      await session.expect(this.join_timeout_ms, (text) => {
        const reply = parseRui3Line(text)
        if (reply.kind === 'joined') return true
        if (reply.kind === 'join-failed') throw new LoraError('JOIN_FAILED', `the network did not accept the join (${reply.reason})`)
        return undefined
      })
      this.joinedNow = true
      await this.readDataRate(session)
    })
  }

  /** Sets the uplink data rate (AT+DR); the modem's ADR may change it again. */
  async setDataRate(dataRate: number): Promise<void> {
    maxPayloadBytes(this.region, dataRate)
    return this.line.exclusive(async (session) => {
      await this.command(session, `AT+DR=${dataRate}`)
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
      if (this.confirmedUplinks !== confirmed) {
        await this.command(session, `AT+CFM=${confirmed ? 1 : 0}`)
        this.confirmedUplinks = confirmed
      }
      await this.command(session, `AT+SEND=${port}:${hex}`)
      await session.expect(this.send_timeout_ms, (text) => {
        const reply = parseRui3Line(text)
        if (reply.kind === 'send-confirmed') {
          if (reply.ok) return true
          throw new LoraError('SEND_FAILED', 'the network did not confirm the uplink')
        }
        // A confirmed uplink is done only when its confirmation comes; some firmware says TX_DONE first.
        if (reply.kind === 'tx-done' && !confirmed) return true
        return undefined
      })
      await this.readDataRate(session)
    })
  }

  onDownlink(listener: (downlink: LoraDownlink) => void): () => void {
    return this.downlinks.add(listener)
  }

  async close(): Promise<void> {
    this.line.close()
  }

  private async readDataRate(session: AtSession): Promise<void> {
    const text = await this.query(session, 'DR')
    const dataRate = Number(text)
    if (!/^\d{1,2}$/.test(text) || MAX_DATA_RATE[this.region] < dataRate) throw new LoraError('BAD_REPLY', `data rate ${JSON.stringify(text)}`)
    this.dataRateNow = dataRate
  }

  /** `AT+NAME=?`: the value line (with or without its `AT+NAME=` echo), then OK. */
  private async query(session: AtSession, name: string): Promise<string> {
    const command = `AT+${name}=?`
    await session.write(command)
    let named: string | undefined
    let bare: string | undefined
    return session.expect(this.reply_timeout_ms, (text) => {
      const reply = parseRui3Line(text)
      if (reply.kind === 'ok') {
        const value = named ?? bare
        if (value === undefined) throw new LoraError('BAD_REPLY', `${command} answered OK without a value`)
        return value
      }
      if (reply.kind === 'error') throw replyError(command, reply.code)
      // The echo `AT+NAME=?` is not the value.
      if (reply.kind === 'value' && reply.name === name && reply.value !== '?') named = reply.value
      else if (reply.kind === 'other') bare = reply.text
      return undefined
    })
  }

  private async command(session: AtSession, command: string): Promise<void> {
    await session.write(command)
    await session.expect(this.reply_timeout_ms, (text) => {
      const reply = parseRui3Line(text)
      if (reply.kind === 'ok') return true
      if (reply.kind === 'error') {
        const error = replyError(command, reply.code)
        if (error.code === 'NOT_JOINED') this.joinedNow = false
        throw error
      }
      return undefined
    })
  }

  private unsolicited(text: string): void {
    const reply = parseRui3Line(text)
    if (reply.kind === 'joined') {
      // A join attempt that outlived our wait succeeded after all.
      this.joinedNow = true
    } else if (reply.kind === 'rx') {
      if (reply.port !== undefined && reply.hex !== undefined) {
        this.splitRx = undefined
        this.deliver(reply.port, reply.hex, reply)
      } else {
        this.splitRx = { ...(reply.rssi !== undefined ? { rssi: reply.rssi } : {}), ...(reply.snr !== undefined ? { snr: reply.snr } : {}) }
      }
    } else if (reply.kind === 'rx-payload' && this.splitRx !== undefined) {
      const signal = this.splitRx
      this.splitRx = undefined
      this.deliver(reply.port, reply.hex, signal)
    }
  }

  private deliver(port: number, hex: string, signal: { rssi?: number; snr?: number }): void {
    const payload = downlinkPayload(port, hex)
    if (payload === undefined) return
    this.downlinks.emit({ port, payload, ...(signal.rssi !== undefined ? { rssi: signal.rssi } : {}), ...(signal.snr !== undefined ? { snr: signal.snr } : {}) })
  }
}

const MAX_DATA_RATE: Readonly<Record<LoraRegion, number>> = { EU868: 7, US915: 4 }

function replyError(command: string, code: string): LoraError {
  const verb = command.replace(/=.*$/, '')
  if (code.startsWith('AT_BUSY')) return new LoraError('BUSY', `${verb}: the modem is busy (${code})`)
  if (code === 'AT_NO_NETWORK_JOINED') return new LoraError('NOT_JOINED', `${verb}: not joined (${code})`)
  return new LoraError('REFUSED', `${verb}: ${code}`)
}
