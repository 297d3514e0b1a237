// A Microchip RN2483 behind a MockBinding port: it answers the `sys` and `mac` commands the driver
// sends with the module's replies (CR LF), and carries joins and uplinks to a LoraRadio.

import type { SerialPortMock } from 'serialport'
import { MAX_PAYLOAD_BYTES } from '../../hardware/lora/modem'
import type { Rn2483ErrorWord } from '../../hardware/lora/rn2483'
import type { LoraRadio } from './radio'
import { SerialDeviceSide, noLinkFaults, type LinkFaults } from './serial-device'

export interface Rn2483Faults extends LinkFaults {
  /** The next `mac join` or `mac tx` is answered with this word instead of `ok`. */
  failNext: Rn2483ErrorWord | undefined
  /** Joins hear no join accept, whatever the network says: `denied`. */
  joinRxTimeout: boolean
  /** The next N uplinks never reach the network: a confirmed one ends in `mac_err`. */
  lostUplinks: number
}

export interface Rn2483EmulatorOptions {
  readonly radio: LoraRadio
  readonly version?: string
  readonly dataRate?: number
  /** `\r\n` as the module writes, or a bare `\n`. */
  readonly lineEnding?: '\r\n' | '\n'
}

const HEX_OF = (digits: number) => new RegExp(`^[0-9A-Fa-f]{${digits}}$`)

export class Rn2483Emulator {
  readonly faults: Rn2483Faults = { ...noLinkFaults(), failNext: undefined, joinRxTimeout: false, lostUplinks: 0 }
  readonly commands: string[] = []
  private readonly device: SerialDeviceSide
  private readonly radio: LoraRadio
  private readonly versionText: string
  private dataRate: number
  private keys: { deveui?: string; appeui?: string; appkey?: string } = {}
  private joined = false

  constructor(port: SerialPortMock, options: Rn2483EmulatorOptions) {
    this.radio = options.radio
    this.versionText = options.version ?? 'RN2483 1.0.5 Oct 31 2018 15:06:52'
    this.dataRate = options.dataRate ?? 0
    this.device = new SerialDeviceSide(port, (line) => this.command(line), this.faults, options.lineEnding ?? '\r\n')
  }

  injectGarbage(bytes: Uint8Array): void {
    this.device.emitRaw(bytes)
  }

  /** The network's ADR moved the data rate. */
  setDataRate(dataRate: number): void {
    this.dataRate = dataRate
  }

  /** The module lost its session (a power cycle the host did not see). */
  forgetSession(): void {
    this.joined = false
  }

  private command(line: string): void {
    this.commands.push(line)
    const words = line.trim().split(/\s+/)
    const reply = (...lines: string[]) => this.device.reply(...lines)
    const [group, verb, ...rest] = words.map((word, index) => (index < 3 ? word.toLowerCase() : word))
    if (group === 'sys' && verb === 'get' && rest[0] === 'ver') return reply(this.versionText)
    if (group !== 'mac') return reply('invalid_param')
    if (verb === 'reset') {
      if (rest[0] !== '868' && rest[0] !== '433') return reply('invalid_param')
      this.keys = {}
      this.joined = false
      this.dataRate = 0
      return reply('ok')
    }
    if (verb === 'set' && (rest[0] === 'deveui' || rest[0] === 'appeui' || rest[0] === 'appkey')) {
      const value = rest[1] ?? ''
      if (rest.length !== 2 || !HEX_OF(rest[0] === 'appkey' ? 32 : 16).test(value)) return reply('invalid_param')
      this.keys = { ...this.keys, [rest[0]]: value }
      return reply('ok')
    }
    if (verb === 'set' && rest[0] === 'dr') {
      if (rest.length !== 2 || !/^[0-7]$/.test(rest[1]!)) return reply('invalid_param')
      this.dataRate = Number(rest[1])
      return reply('ok')
    }
    if (verb === 'get' && rest[0] === 'dr') return reply(String(this.dataRate))
    if (verb === 'join') return this.join(rest)
    if (verb === 'tx') return this.send(rest)
    return reply('invalid_param')
  }

  private join(rest: string[]): void {
    if (rest.length !== 1 || rest[0] !== 'otaa') return this.device.reply('invalid_param')
    const { deveui, appeui, appkey } = this.keys
    if (deveui === undefined || appeui === undefined || appkey === undefined) return this.device.reply('keys_not_init')
    if (this.failed()) return
    this.joined = false
    const answer = this.faults.joinRxTimeout ? { accepted: false } : this.radio.join({ region: 'EU868', devEui: deveui, appEui: appeui, appKey: appkey })
    this.joined = answer.accepted
    this.device.reply('ok', answer.accepted ? 'accepted' : 'denied')
  }

  private send(rest: string[]): void {
    const [type, portText, hex] = rest
    const port = Number(portText)
    if (rest.length !== 3 || (type !== 'cnf' && type !== 'uncnf') || !/^\d{1,3}$/.test(portText ?? '') || port < 1 || port > 223) {
      return this.device.reply('invalid_param')
    }
    if (!/^(?:[0-9A-Fa-f]{2})+$/.test(hex ?? '')) return this.device.reply('invalid_param')
    if (!this.joined) return this.device.reply('not_joined')
    const payload = new Uint8Array(Buffer.from(hex!, 'hex'))
    if (payload.length > (MAX_PAYLOAD_BYTES.EU868[this.dataRate] ?? 0)) return this.device.reply('invalid_data_len')
    if (this.failed()) return
    const confirmed = type === 'cnf'
    if (this.faults.lostUplinks > 0) {
      this.faults.lostUplinks--
      return this.device.reply('ok', confirmed ? 'mac_err' : 'mac_tx_ok')
    }
    const answer = this.radio.uplink({ devEui: this.keys.deveui!, port, payload, confirmed, dataRate: this.dataRate })
    if (answer.downlink !== undefined) {
      return this.device.reply('ok', `mac_rx ${answer.downlink.port} ${Buffer.from(answer.downlink.payload).toString('hex').toUpperCase()}`)
    }
    this.device.reply('ok', confirmed && !answer.acked ? 'mac_err' : 'mac_tx_ok')
  }

  private failed(): boolean {
    const word = this.faults.failNext
    if (word === undefined) return false
    this.faults.failNext = undefined
    this.device.reply(word)
    return true
  }
}
