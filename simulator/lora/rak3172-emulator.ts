// A RAK3172 with RUI3 firmware behind a MockBinding port: it answers the AT commands the driver
// sends with the bytes the module sends, and carries joins and uplinks to a LoraRadio (the
// simulated network server). Dialect switches reproduce what other firmware versions write.

import type { SerialPortMock } from 'serialport'
import { MAX_PAYLOAD_BYTES, type LoraRegion } from '../../hardware/lora/modem'
import type { LoraRadio, RadioDownlink } from './radio'
import { SerialDeviceSide, noLinkFaults, type LinkFaults } from './serial-device'

export interface Rak3172Dialect {
  /** `\r\n` as RUI3 writes, or a bare `\n`. */
  readonly lineEnding: '\r\n' | '\n'
  /** `+EVT:SEND CONFIRMED OK`, `+EVT:TX DONE`, as some firmware writes them. */
  readonly spacedEvents: boolean
  readonly lowerCaseEvents: boolean
  /** The older split downlink: `+EVT:RX_1, RSSI -45, SNR 9`, `+EVT:UNICAST`, `+EVT:15:BEEF`. */
  readonly splitRx: boolean
  /** More fields between the signal and the payload: `+EVT:RX_1:-45:9:UNICAST:1:15:BEEF`. */
  readonly extraRxFields: boolean
  /** Echo each command line back. */
  readonly echo: boolean
}

const RUI3_DIALECT: Rak3172Dialect = Object.freeze({
  lineEnding: '\r\n',
  spacedEvents: false,
  lowerCaseEvents: false,
  splitRx: false,
  extraRxFields: false,
  echo: false,
})

export interface Rak3172Faults extends LinkFaults {
  /** The next N JOIN and SEND commands are answered AT_BUSY_ERROR. */
  busyReplies: number
  /** Joins hear no join accept, whatever the network says. */
  joinRxTimeout: boolean
  /** The next N uplinks never reach the network: a confirmed one then fails. */
  lostUplinks: number
}

export interface Rak3172EmulatorOptions {
  readonly radio: LoraRadio
  readonly dialect?: Partial<Rak3172Dialect>
  readonly version?: string
  /** Where ADR or the last AT+DR left the data rate. */
  readonly dataRate?: number
}

const REGIONS_BY_BAND: Readonly<Record<string, LoraRegion>> = { '4': 'EU868', '5': 'US915' }

export class Rak3172Emulator {
  readonly faults: Rak3172Faults = { ...noLinkFaults(), busyReplies: 0, joinRxTimeout: false, lostUplinks: 0 }
  /** Every command line the host wrote, in order. */
  readonly commands: string[] = []
  readonly dialect: Rak3172Dialect
  private readonly device: SerialDeviceSide
  private readonly radio: LoraRadio
  private readonly versionText: string
  private region: LoraRegion = 'EU868'
  private dataRate: number
  private keys: { devEui?: string; appEui?: string; appKey?: string } = {}
  private confirmed = false
  private joined = false

  constructor(port: SerialPortMock, options: Rak3172EmulatorOptions) {
    this.radio = options.radio
    this.dialect = { ...RUI3_DIALECT, ...options.dialect }
    this.versionText = options.version ?? 'RUI_4.0.6_RAK3172-E'
    this.dataRate = options.dataRate ?? 0
    this.device = new SerialDeviceSide(port, (line) => this.command(line), this.faults, this.dialect.lineEnding)
  }

  /** Line noise now, between replies. */
  injectGarbage(bytes: Uint8Array): void {
    this.device.emitRaw(bytes)
  }

  /** The module lost its session (a power cycle the host did not see). */
  forgetSession(): void {
    this.joined = false
  }

  /** ADR moved the data rate. */
  setDataRate(dataRate: number): void {
    this.dataRate = dataRate
  }

  private command(line: string): void {
    this.commands.push(line)
    if (this.dialect.echo) this.device.reply(line)
    const match = /^AT(?:\+([A-Z0-9]+))?(?:=(.*))?$/i.exec(line)
    if (match === null) return this.device.reply('AT_COMMAND_NOT_FOUND')
    const name = (match[1] ?? '').toUpperCase()
    const argument = match[2]
    const ok = () => this.device.reply('OK')
    const paramError = () => this.device.reply('AT_PARAM_ERROR')
    switch (name) {
      case '':
        return argument === undefined ? ok() : paramError()
      case 'VER':
        return argument === '?' ? this.device.reply(`AT+VER=${this.versionText}`, 'OK') : paramError()
      case 'NWM':
      case 'NJM':
        return argument === '1' ? ok() : paramError()
      case 'BAND': {
        const region = argument === undefined ? undefined : REGIONS_BY_BAND[argument]
        if (region === undefined) return paramError()
        // A new band starts at its DR0; setting the same band again keeps the data rate.
        if (region !== this.region) this.dataRate = 0
        this.region = region
        return ok()
      }
      case 'DEVEUI':
      case 'APPEUI':
      case 'APPKEY': {
        const digits = name === 'APPKEY' ? 32 : 16
        if (argument === undefined || !new RegExp(`^[0-9A-Fa-f]{${digits}}$`).test(argument)) return paramError()
        this.keys = { ...this.keys, [name === 'DEVEUI' ? 'devEui' : name === 'APPEUI' ? 'appEui' : 'appKey']: argument }
        return ok()
      }
      case 'CFM':
        if (argument !== '0' && argument !== '1') return paramError()
        this.confirmed = argument === '1'
        return ok()
      case 'DR': {
        if (argument === '?') return this.device.reply(`AT+DR=${this.dataRate}`, 'OK')
        const dataRate = Number(argument)
        if (!/^\d$/.test(argument ?? '') || MAX_PAYLOAD_BYTES[this.region][dataRate] === undefined) return paramError()
        this.dataRate = dataRate
        return ok()
      }
      case 'JOIN':
        return this.join(argument)
      case 'SEND':
        return this.send(argument)
      default:
        return this.device.reply('AT_COMMAND_NOT_FOUND')
    }
  }

  private join(argument: string | undefined): void {
    if (argument === undefined || !/^1(?::\d+){0,3}$/.test(argument)) return this.device.reply('AT_PARAM_ERROR')
    if (this.busy()) return
    const { devEui, appEui, appKey } = this.keys
    if (devEui === undefined || appEui === undefined || appKey === undefined) return this.device.reply('AT_PARAM_ERROR')
    this.device.reply('OK')
    this.joined = false
    const answer = this.faults.joinRxTimeout ? { accepted: false } : this.radio.join({ region: this.region, devEui, appEui, appKey })
    this.joined = answer.accepted
    this.device.reply(this.event(answer.accepted ? 'JOINED' : 'JOIN_FAILED_RX_TIMEOUT'))
  }

  private send(argument: string | undefined): void {
    const match = /^(\d{1,3}):((?:[0-9A-Fa-f]{2})+)$/.exec(argument ?? '')
    const port = Number(match?.[1])
    if (match === null || port < 1 || port > 223) return this.device.reply('AT_PARAM_ERROR')
    const payload = new Uint8Array(Buffer.from(match[2]!, 'hex'))
    if (payload.length > (MAX_PAYLOAD_BYTES[this.region][this.dataRate] ?? 0)) return this.device.reply('AT_PARAM_ERROR')
    if (!this.joined) return this.device.reply('AT_NO_NETWORK_JOINED')
    if (this.busy()) return
    this.device.reply('OK')
    let acked = false
    if (this.faults.lostUplinks > 0) {
      this.faults.lostUplinks--
    } else {
      const answer = this.radio.uplink({ devEui: this.keys.devEui!, port, payload, confirmed: this.confirmed, dataRate: this.dataRate })
      acked = answer.acked
      if (answer.downlink !== undefined) this.downlink(answer.downlink)
    }
    if (!this.confirmed) return this.device.reply(this.event('TX_DONE'))
    this.device.reply(this.event(acked ? 'SEND_CONFIRMED_OK' : 'SEND_CONFIRMED_FAILED'))
  }

  private downlink(downlink: RadioDownlink): void {
    const hex = Buffer.from(downlink.payload).toString('hex').toUpperCase()
    if (this.dialect.splitRx) {
      this.device.reply(this.event(`RX_1, RSSI ${downlink.rssi}, SNR ${downlink.snr}`), this.event('UNICAST'), `+EVT:${downlink.port}:${hex}`)
    } else if (this.dialect.extraRxFields) {
      this.device.reply(`+EVT:RX_1:${downlink.rssi}:${downlink.snr}:UNICAST:1:${downlink.port}:${hex}`)
    } else {
      this.device.reply(`+EVT:RX_1:${downlink.rssi}:${downlink.snr}:UNICAST:${downlink.port}:${hex}`)
    }
  }

  private busy(): boolean {
    if (this.faults.busyReplies <= 0) return false
    this.faults.busyReplies--
    this.device.reply('AT_BUSY_ERROR')
    return true
  }

  private event(name: string): string {
    const spaced = this.dialect.spacedEvents ? name.replace(/_/g, ' ') : name
    const text = `+EVT:${spaced}`
    return this.dialect.lowerCaseEvents ? text.toLowerCase() : text
  }
}
