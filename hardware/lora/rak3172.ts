// RAK3172 (RAKwireless RUI3 firmware) over its UART AT interface, 115200 8N1: configure LoRaWAN
// OTAA, join, send, hear `+EVT:RX_*` downlinks. Replies are read leniently: firmware versions
// differ in case, in spaces or underscores inside event names, and in extra or split RX fields.

import type { Clock } from '../../protocol/clock'
import type { AtSession, LineNoise, SerialLink } from './at-line'
import { LORA_REGIONS, LoraError, type LoraRegion } from './modem'
import { AtModem, type JoinKeys } from './modem-common'

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

export class Rak3172 extends AtModem {
  readonly model = 'rak3172'
  protected readonly regions = LORA_REGIONS
  private readonly joinAttempts: number
  private confirmedUplinks: boolean | undefined
  private splitRx: { rssi?: number; snr?: number } | undefined

  /** Takes an open port at 115200 baud and the clock its timeouts run on; close() leaves the port open for its owner. */
  constructor(port: SerialLink, clock: Clock, options: Rak3172Options = {}) {
    const joinAttempts = options.joinAttempts ?? 8
    super(port, clock, {
      reply_timeout_ms: options.reply_timeout_ms ?? 2_000,
      join_timeout_ms: options.join_timeout_ms ?? (joinAttempts + 1) * 12_000,
      send_timeout_ms: options.send_timeout_ms ?? 30_000,
    }, options.onNoise)
    this.joinAttempts = joinAttempts
  }

  protected readVersion(session: AtSession): Promise<string> {
    return this.query(session, 'VER')
  }

  protected regionCommands(region: LoraRegion): readonly string[] {
    return ['AT+NWM=1', 'AT+NJM=1', `AT+BAND=${BANDS[region]}`]
  }

  protected keyCommands(keys: JoinKeys): readonly string[] {
    return [`AT+DEVEUI=${keys.devEui}`, `AT+APPEUI=${keys.appEui}`, `AT+APPKEY=${keys.appKey}`]
  }

  protected joinCommand(): string {
    return `AT+JOIN=1:0:10:${this.joinAttempts}`
  }

  protected joinAnswer(text: string): true | undefined {
    const reply = parseRui3Line(text)
    if (reply.kind === 'joined') return true
    if (reply.kind === 'join-failed') throw new LoraError('JOIN_FAILED', `the network did not accept the join (${reply.reason})`)
    return undefined
  }

  protected dataRateCommand(dataRate: number): string {
    return `AT+DR=${dataRate}`
  }

  protected async transmit(session: AtSession, port: number, hex: string, confirmed: boolean): Promise<void> {
    if (this.confirmedUplinks !== confirmed) {
      await this.command(session, `AT+CFM=${confirmed ? 1 : 0}`)
      this.confirmedUplinks = confirmed
    }
    await this.command(session, `AT+SEND=${port}:${hex}`)
  }

  protected sendAnswer(text: string, confirmed: boolean): true | undefined {
    const reply = parseRui3Line(text)
    if (reply.kind === 'send-confirmed') {
      if (reply.ok) return true
      throw new LoraError('SEND_FAILED', 'the network did not confirm the uplink')
    }
    // A confirmed uplink is done only when its confirmation comes; some firmware says TX_DONE first.
    if (reply.kind === 'tx-done' && !confirmed) return true
    return undefined
  }

  protected commandAnswer(text: string, command: string): true | undefined {
    const reply = parseRui3Line(text)
    if (reply.kind === 'ok') return true
    if (reply.kind === 'error') {
      const error = replyError(command, reply.code)
      if (error.code === 'NOT_JOINED') this.joinedNow = false
      throw error
    }
    return undefined
  }

  protected async readDataRate(session: AtSession): Promise<number> {
    const text = await this.query(session, 'DR')
    const dataRate = Number(text)
    if (!/^\d{1,2}$/.test(text) || MAX_DATA_RATE[this.region] < dataRate) throw new LoraError('BAD_REPLY', `data rate ${JSON.stringify(text)}`)
    return dataRate
  }

  /** `AT+NAME=?`: the value line (with or without its `AT+NAME=` echo), then OK. */
  private async query(session: AtSession, name: string): Promise<string> {
    const command = `AT+${name}=?`
    await session.write(command)
    let named: string | undefined
    let bare: string | undefined
    return session.expect(this.timeouts.reply_timeout_ms, (text) => {
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

  protected unsolicited(text: string): void {
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
}

const MAX_DATA_RATE: Readonly<Record<LoraRegion, number>> = { EU868: 7, US915: 4 }

function replyError(command: string, code: string): LoraError {
  const verb = command.replace(/=.*$/, '')
  if (code.startsWith('AT_BUSY')) return new LoraError('BUSY', `${verb}: the modem is busy (${code})`)
  if (code === 'AT_NO_NETWORK_JOINED') return new LoraError('NOT_JOINED', `${verb}: not joined (${code})`)
  return new LoraError('REFUSED', `${verb}: ${code}`)
}
