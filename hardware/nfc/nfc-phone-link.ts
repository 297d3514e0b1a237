// The PhoneLink over a PN532: waits for a phone to be tapped, SELECTs the PayAll AID, sends the
// payment request (chained over as many APDUs as it takes) and returns the wallet's answer,
// fetched with GET RESPONSE when it is long. Whatever the phone does wrong is a typed error, which
// the terminal's payment flow turns into a decline.

import type { PhoneLink } from '../devices'
import {
  SW_FILE_NOT_FOUND, SW_OK, decodeResponseApdu, describeStatusWord, encodeCommandApdu, exchangeChained,
  paymentRequestCommand, selectPayAll, type CommandApdu, type ExchangeOptions,
} from '../../protocol/apdu'
import type { Clock } from '../../protocol/clock'
import { ProtocolError } from '../../protocol/errors'
import { NfcLinkError, Pn532Error } from './errors'
import type { PassiveTarget, Pn532 } from './pn532'

export interface NfcPhoneLinkOptions {
  /** Pause between two polls of an empty field. */
  readonly pollIntervalMs?: number
  /** How long a payment waits for a tap before NO_PHONE. */
  readonly tapWaitMaxMs?: number
  /** APDU chaining bounds (data bytes per command link, response size, GET RESPONSE rounds). */
  readonly exchange?: ExchangeOptions
}

const DEFAULT_POLL_INTERVAL_MS = 150
const DEFAULT_TAP_WAIT_MAX_MS = 30_000

export class NfcPhoneLink implements PhoneLink {
  readonly #reader: Pn532
  readonly #clock: Clock
  readonly #pollInterval_ms: number
  readonly #polls_max: number
  readonly #exchangeOptions: ExchangeOptions

  /** Takes the reader and the clock its polls are paced by. */
  constructor(reader: Pn532, clock: Clock, options: NfcPhoneLinkOptions = {}) {
    this.#reader = reader
    this.#clock = clock
    this.#pollInterval_ms = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS
    const wait_ms_max = options.tapWaitMaxMs ?? DEFAULT_TAP_WAIT_MAX_MS
    if (!Number.isSafeInteger(this.#pollInterval_ms) || this.#pollInterval_ms < 1) {
      throw new Pn532Error('BAD_ARGUMENT', `pollIntervalMs must be a positive integer, got ${this.#pollInterval_ms}`)
    }
    if (!Number.isSafeInteger(wait_ms_max) || wait_ms_max < 0) {
      throw new Pn532Error('BAD_ARGUMENT', `tapWaitMaxMs must be a non-negative integer, got ${wait_ms_max}`)
    }
    this.#polls_max = 1 + Math.floor(wait_ms_max / this.#pollInterval_ms)
    this.#exchangeOptions = options.exchange ?? {}
  }

  /**
   * The PayAll exchange with the next phone tapped. `signal` ends the wait for a tap; an exchange
   * already under way runs to its end, since the phone may be signing.
   */
  async exchange(request: Uint8Array, signal?: AbortSignal): Promise<Uint8Array> {
    const command = paymentRequestCommand(request)
    const target = await this.waitForPhone(signal)
    try {
      return await this.#pay(target, command)
    } finally {
      // The phone may be gone already: releasing it is courtesy, not part of the answer.
      await this.#reader.release(target.targetNumber).catch(() => undefined)
    }
  }

  /** Polls the field until an ISO 14443-4 target (a phone, not a plain card) is there. */
  async waitForPhone(signal?: AbortSignal): Promise<PassiveTarget> {
    // Bounded: at most pollsMax polls, pollIntervalMs apart.
    for (let poll = 1; ; poll++) {
      if (signal?.aborted) throw new NfcLinkError('ABORTED', 'the wait for a phone was aborted')
      const target = await this.#reader.listPassiveTarget()
      if (target !== undefined && target.ats !== undefined) return target
      // A card that cannot carry APDUs (a transit card, a badge) is left in the field.
      if (poll >= this.#polls_max) throw new NfcLinkError('NO_PHONE', `no phone tapped after ${poll} polls`)
      await this.#pause(signal)
    }
  }

  async #pay(target: PassiveTarget, command: CommandApdu): Promise<Uint8Array> {
    const transmit = (apdu: Uint8Array) => this.#reader.dataExchange(target.targetNumber, apdu)
    try {
      const selected = decodeResponseApdu(await transmit(encodeCommandApdu(selectPayAll())))
      if (selected.sw === SW_FILE_NOT_FOUND) {
        throw new NfcLinkError('NO_PAYALL_APP', 'the phone has no PayAll service (6A82)', { sw: selected.sw })
      }
      if (selected.sw !== SW_OK) {
        throw new NfcLinkError('SELECT_REFUSED', `the phone refused SELECT: ${describeStatusWord(selected.sw)}`, { sw: selected.sw })
      }
      const answer = await exchangeChained(transmit, command, this.#exchangeOptions)
      if (answer.sw !== SW_OK) {
        throw new NfcLinkError('PHONE_DECLINED', `the wallet refused the payment: ${describeStatusWord(answer.sw)}`, { sw: answer.sw })
      }
      return answer.data
    } catch (error) {
      if (error instanceof ProtocolError) throw new NfcLinkError('BAD_ANSWER', error.message, { cause: error })
      throw error
    }
  }

  #pause(signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        cancel()
        reject(new NfcLinkError('ABORTED', 'the wait for a phone was aborted'))
      }
      const cancel = this.#clock.setTimer(() => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      }, this.#pollInterval_ms)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }
}
