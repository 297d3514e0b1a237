// Microchip RN2483 over its UART command interface, 57600 8N1, CR LF: `mac` commands for OTAA
// join and uplinks. Every command gets a first reply (`ok` or an error word); join and tx then
// get a second one (`accepted`/`denied`, `mac_tx_ok`/`mac_rx`/`mac_err`).

import type { Clock } from '../../protocol/clock'
import type { AtSession, LineNoise, SerialLink } from './at-line'
import { LoraError, maxPayloadBytes, type LoraRegion } from './modem'
import { AtModem, type JoinKeys } from './modem-common'

export type Rn2483Reply =
  | { readonly kind: 'ok' }
  | { readonly kind: 'error'; readonly word: Rn2483ErrorWord }
  | { readonly kind: 'accepted' }
  | { readonly kind: 'denied' }
  | { readonly kind: 'tx-ok' }
  | { readonly kind: 'rx'; readonly port: number; readonly hex: string }
  | { readonly kind: 'tx-error' }
  | { readonly kind: 'other'; readonly text: string }

const RN2483_ERROR_WORDS = [
  'invalid_param',
  'keys_not_init',
  'no_free_ch',
  'silent',
  'busy',
  'mac_paused',
  'not_joined',
  'invalid_data_len',
  'frame_counter_err_rejoin_needed',
] as const
export type Rn2483ErrorWord = (typeof RN2483_ERROR_WORDS)[number]

/** Reads one line from an RN2483; never throws. */
export function parseRn2483Line(line: string): Rn2483Reply {
  const text = line.trim()
  const word = text.toLowerCase().replace(/\s+/g, ' ')
  if (word === 'ok') return { kind: 'ok' }
  if (word === 'accepted') return { kind: 'accepted' }
  if (word === 'denied') return { kind: 'denied' }
  if (word === 'mac_tx_ok') return { kind: 'tx-ok' }
  if (word === 'mac_err') return { kind: 'tx-error' }
  const rx = /^mac_rx (\d{1,3}) ((?:[0-9a-f]{2})*)$/.exec(word)
  if (rx !== null) return { kind: 'rx', port: Number(rx[1]), hex: rx[2]! }
  if ((RN2483_ERROR_WORDS as readonly string[]).includes(word)) return { kind: 'error', word: word as Rn2483ErrorWord }
  return { kind: 'other', text }
}

export interface Rn2483Options {
  readonly reply_timeout_ms?: number
  /** For `accepted`/`denied`: one join request and its two receive windows. */
  readonly join_timeout_ms?: number
  /** For `mac_tx_ok`/`mac_rx`/`mac_err`: airtime, both receive windows, retransmissions. */
  readonly send_timeout_ms?: number
  readonly onNoise?: (noise: LineNoise) => void
}

export const RN2483_BAUD_RATE = 57_600

export class Rn2483 extends AtModem {
  readonly model = 'rn2483'
  // The RN2483 covers 433 and 868 MHz; US915 takes its sibling, the RN2903.
  protected readonly regions: readonly LoraRegion[] = ['EU868']

  /** Takes an open port at 57600 baud and the clock its timeouts run on; close() leaves the port open for its owner. */
  constructor(port: SerialLink, clock: Clock, options: Rn2483Options = {}) {
    super(port, clock, {
      reply_timeout_ms: options.reply_timeout_ms ?? 2_000,
      join_timeout_ms: options.join_timeout_ms ?? 20_000,
      send_timeout_ms: options.send_timeout_ms ?? 30_000,
    }, options.onNoise)
  }

  protected async readVersion(session: AtSession): Promise<string> {
    await session.write('sys get ver')
    return session.expect(this.timeouts.reply_timeout_ms, (text) => (/^RN\d{4}\b/i.test(text.trim()) ? text.trim() : undefined))
  }

  protected regionCommands(): readonly string[] {
    return ['mac reset 868']
  }

  protected keyCommands(keys: JoinKeys): readonly string[] {
    return [`mac set deveui ${keys.devEui}`, `mac set appeui ${keys.appEui}`, `mac set appkey ${keys.appKey}`]
  }

  protected joinCommand(): string {
    return 'mac join otaa'
  }

  protected joinAnswer(text: string): true | undefined {
    const reply = parseRn2483Line(text)
    if (reply.kind === 'accepted') return true
    if (reply.kind === 'denied') throw new LoraError('JOIN_FAILED', 'the network did not accept the join (denied)')
    return undefined
  }

  protected dataRateCommand(dataRate: number): string {
    return `mac set dr ${dataRate}`
  }

  protected async transmit(session: AtSession, port: number, hex: string, confirmed: boolean): Promise<void> {
    await this.command(session, `mac tx ${confirmed ? 'cnf' : 'uncnf'} ${port} ${hex}`)
  }

  protected sendAnswer(text: string): true | undefined {
    const reply = parseRn2483Line(text)
    if (reply.kind === 'tx-ok') return true
    if (reply.kind === 'rx') {
      // mac_rx is the uplink's success and the downlink in one line.
      this.deliver(reply.port, reply.hex)
      return true
    }
    if (reply.kind === 'tx-error') throw new LoraError('SEND_FAILED', 'mac_err: the uplink was not confirmed or not sent')
    if (reply.kind === 'error') throw this.replyError('mac tx', reply.word)
    return undefined
  }

  protected commandAnswer(text: string, command: string): true | undefined {
    const reply = parseRn2483Line(text)
    if (reply.kind === 'ok') return true
    if (reply.kind === 'error') throw this.replyError(command.split(' ').slice(0, 2).join(' '), reply.word)
    return undefined
  }

  protected async readDataRate(session: AtSession): Promise<number> {
    await session.write('mac get dr')
    const dataRate = await session.expect(this.timeouts.reply_timeout_ms, (text) => {
      const reply = parseRn2483Line(text)
      if (reply.kind === 'error') throw this.replyError('mac get dr', reply.word)
      return /^\d$/.test(text.trim()) ? Number(text.trim()) : undefined
    })
    maxPayloadBytes(this.region, dataRate)
    return dataRate
  }

  // The RN2483 speaks only when spoken to, but prints its version line after a reset.
  protected unsolicited(): void {}

  private replyError(command: string, word: Rn2483ErrorWord): LoraError {
    switch (word) {
      case 'busy':
      case 'mac_paused':
      case 'no_free_ch': // every channel is in its duty-cycle pause: try later
        return new LoraError('BUSY', `${command}: ${word}`)
      case 'not_joined':
      case 'frame_counter_err_rejoin_needed':
        this.joinedNow = false
        return new LoraError('NOT_JOINED', `${command}: ${word}`)
      case 'invalid_data_len':
        return new LoraError('PAYLOAD_TOO_LARGE', `${command}: ${word}`)
      default:
        return new LoraError('REFUSED', `${command}: ${word}`)
    }
  }
}
