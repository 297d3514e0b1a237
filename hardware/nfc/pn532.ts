// PN532 driver over its UART (HSU, 115200 8N1), on an open port it is handed: wake-up, the
// commands a reader terminal needs, and the link discipline of UM0701-02 §6.2 — one command at a
// time, ACK within a timeout or resend, a corrupted response asked for again with NACK, a silent
// chip aborted with ACK, and a NACK off a noisy line answered by a resend. Every wait and every
// retry is bounded.

import { concatBytes } from '../../protocol/bytes'
import type { Cancel, Clock } from '../../protocol/clock'
import { QueueFullError, SerialQueue } from '../../protocol/serial-queue'
import { Pn532Error } from './errors'
import {
  FrameParser, ackFrame, nackFrame, TFI_PN532_TO_HOST, encodeCommandFrame, hexByte, type ParseEvent,
} from './pn532-frame'

/** What the driver needs of a serial port: serialport's SerialPort and SerialPortMock both fit. */
export interface Pn532Port {
  write(data: Buffer, callback: (error: Error | null | undefined) => void): boolean
  on(event: 'data', listener: (chunk: Buffer) => void): unknown
  removeListener(event: 'data', listener: (chunk: Buffer) => void): unknown
}

export const Command = {
  GetFirmwareVersion: 0x02,
  SamConfiguration: 0x14,
  RfConfiguration: 0x32,
  InDataExchange: 0x40,
  InListPassiveTarget: 0x4a,
  InRelease: 0x52,
} as const

/** HSU wake-up: `55 55` then zeros long enough for the chip's oscillator (libnfc sends 14). */
function wakeUpBytes(): Uint8Array {
  const bytes = new Uint8Array(16)
  bytes[0] = 0x55
  bytes[1] = 0x55
  return bytes
}

const SAM_MODE_NORMAL = 0x01
const RF_ITEM_MAX_RETRIES = 0x05
const BAUD_106_TYPE_A = 0x00
/** SAK bit 6: the target speaks ISO 14443-4 (a phone doing HCE does), so an ATS follows. */
export const SAK_ISO14443_4 = 0x20
/** InDataExchange status: bit 6 says more information follows; the low 6 bits are the error code. */
const STATUS_MORE_INFORMATION = 0x40
const STATUS_ERROR_MASK = 0x3f
export const STATUS_OK = 0x00
export const STATUS_TIMEOUT = 0x01
const STATUS_TARGET_RELEASED = 0x29
export const STATUS_CARD_DISAPPEARED = 0x2b
/** DataOut of InDataExchange, both ways (UM0701-02 §7.3.8). */
export const DATA_EXCHANGE_MAX_BYTES = 262
const UID_LENGTHS: readonly number[] = [4, 7, 10]

export interface FirmwareVersion {
  /** 0x32 for a PN532. */
  readonly ic: number
  readonly version: number
  readonly revision: number
  /** Bit 0 ISO 14443 type A, bit 1 type B, bit 2 ISO 18092. */
  readonly support: number
}

/** A 106 kbps type A target found by InListPassiveTarget. */
export interface PassiveTarget {
  /** The logical number the chip gave it, for InDataExchange and InRelease. */
  readonly targetNumber: number
  readonly atqa: number
  readonly sak: number
  readonly uid: Uint8Array
  /** The ATS after its length byte; present for ISO 14443-4 targets only. */
  readonly ats: Uint8Array | undefined
}

export interface Pn532Options {
  /** How long the chip has to ACK a command before it is sent again. */
  readonly ackTimeoutMs?: number
  /** How long the chip has to answer an ACKed command before it is aborted. */
  readonly responseTimeoutMs?: number
  /** Resends of a command that got no ACK; never for InDataExchange, which carries an APDU once. */
  readonly ackRetriesMax?: number
  /** Resends of a command the chip NACKed. */
  readonly nackResendsMax?: number
  /** NACKs the host sends for one corrupted response before giving up. */
  readonly responseNacksMax?: number
  /** InDataExchange rounds that follow a "more information" status. */
  readonly moreInformationRoundsMax?: number
  /** Passive activation attempts per InListPassiveTarget (0xFF would wait for a target forever). */
  readonly passiveActivationRetries?: number
}

/** Commands waiting for the chip, the running one included; the next is refused BUSY at once. */
const QUEUE_MAX = 8
/** Parse events held while nobody waits for them; older ones are dropped. */
const INBOX_MAX = 16
const DEFAULTS = {
  ackTimeoutMs: 50,
  responseTimeoutMs: 1000,
  ackRetriesMax: 2,
  nackResendsMax: 3,
  responseNacksMax: 2,
  moreInformationRoundsMax: 8,
  passiveActivationRetries: 0x01,
} as const

type Waiter = (event: ParseEvent | 'timeout') => void

export class Pn532 {
  readonly #port: Pn532Port
  readonly #clock: Clock
  readonly #options: Required<Pn532Options>
  readonly #parser = new FrameParser()
  readonly #inbox: ParseEvent[] = []
  readonly #onData = (chunk: Buffer): void => this.#receive(chunk)
  #waiter: Waiter | undefined
  readonly #commands = new SerialQueue(QUEUE_MAX, 'the PN532')
  #closed = false

  /** Takes an open port and the clock its ACK and response timeouts run on. */
  constructor(port: Pn532Port, clock: Clock, options: Pn532Options = {}) {
    this.#port = port
    this.#clock = clock
    this.#options = {
      ackTimeoutMs: checkCount(options.ackTimeoutMs ?? DEFAULTS.ackTimeoutMs, 'ackTimeoutMs', 1),
      responseTimeoutMs: checkCount(options.responseTimeoutMs ?? DEFAULTS.responseTimeoutMs, 'responseTimeoutMs', 1),
      ackRetriesMax: checkCount(options.ackRetriesMax ?? DEFAULTS.ackRetriesMax, 'ackRetriesMax', 0),
      nackResendsMax: checkCount(options.nackResendsMax ?? DEFAULTS.nackResendsMax, 'nackResendsMax', 0),
      responseNacksMax: checkCount(options.responseNacksMax ?? DEFAULTS.responseNacksMax, 'responseNacksMax', 0),
      moreInformationRoundsMax: checkCount(options.moreInformationRoundsMax ?? DEFAULTS.moreInformationRoundsMax, 'moreInformationRoundsMax', 0),
      passiveActivationRetries: checkCount(options.passiveActivationRetries ?? DEFAULTS.passiveActivationRetries, 'passiveActivationRetries', 0),
    }
    if (this.#options.passiveActivationRetries > 0xff) throw new Pn532Error('BAD_ARGUMENT', 'passiveActivationRetries is a byte')
    port.on('data', this.#onData)
  }

  /** Wakes the chip from power-down on HSU, puts its SAM in normal mode and bounds passive activation. */
  async begin(): Promise<void> {
    await this.#serialised(async () => {
      await this.#write(wakeUpBytes())
      await this.#command(Command.SamConfiguration, Uint8Array.of(SAM_MODE_NORMAL))
      await this.#command(
        Command.RfConfiguration,
        Uint8Array.of(RF_ITEM_MAX_RETRIES, 0xff, 0x01, this.#options.passiveActivationRetries),
      )
    })
  }

  async firmwareVersion(): Promise<FirmwareVersion> {
    const data = await this.#serialised(() => this.#command(Command.GetFirmwareVersion))
    if (data.length !== 4) throw new Pn532Error('BAD_RESPONSE', `GetFirmwareVersion answers 4 bytes, got ${data.length}`)
    return { ic: data[0]!, version: data[1]!, revision: data[2]!, support: data[3]! }
  }

  /** One 106 kbps type A target in the field, or undefined when there is none. */
  async listPassiveTarget(): Promise<PassiveTarget | undefined> {
    const data = await this.#serialised(() => this.#command(Command.InListPassiveTarget, Uint8Array.of(0x01, BAUD_106_TYPE_A)))
    return parsePassiveTarget(data)
  }

  /**
   * Sends `data` to the target and returns its whole answer, following "more information"
   * statuses with empty InDataExchange rounds. A target that left the field is TARGET_GONE.
   */
  async dataExchange(targetNumber: number, data: Uint8Array): Promise<Uint8Array> {
    checkTarget(targetNumber)
    if (!(data instanceof Uint8Array) || data.length > DATA_EXCHANGE_MAX_BYTES) {
      throw new Pn532Error('BAD_ARGUMENT', `InDataExchange carries at most ${DATA_EXCHANGE_MAX_BYTES} bytes`)
    }
    return this.#serialised(async () => {
      const parts: Uint8Array[] = []
      let outgoing = data
      // Bounded by moreInformationRoundsMax.
      for (let round = 0; ; round++) {
        const parameters = new Uint8Array(1 + outgoing.length)
        parameters[0] = targetNumber
        parameters.set(outgoing, 1)
        const answer = await this.#command(Command.InDataExchange, parameters)
        if (answer.length < 1) throw new Pn532Error('BAD_RESPONSE', 'InDataExchange answered no status byte')
        checkStatus(answer[0]!, 'InDataExchange')
        parts.push(answer.subarray(1))
        if ((answer[0]! & STATUS_MORE_INFORMATION) === 0) return concatBytes(...parts)
        if (round >= this.#options.moreInformationRoundsMax) {
          throw new Pn532Error('BAD_RESPONSE', `more than ${this.#options.moreInformationRoundsMax} "more information" rounds`)
        }
        outgoing = new Uint8Array(0)
      }
    })
  }

  /** Ends the session with a target; the chip answers a status byte. */
  async release(targetNumber: number): Promise<void> {
    checkTarget(targetNumber)
    const data = await this.#serialised(() => this.#command(Command.InRelease, Uint8Array.of(targetNumber)))
    if (data.length !== 1) throw new Pn532Error('BAD_RESPONSE', `InRelease answers 1 status byte, got ${data.length}`)
    checkStatus(data[0]!, 'InRelease')
  }

  /** Stops listening to the port; a command waiting for the chip fails with IO. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#port.removeListener('data', this.#onData)
    this.#waiter?.('timeout')
  }

  #serialised<T>(run: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new Pn532Error('IO', 'the driver is closed'))
    return this.#commands.run(run).catch((error: unknown) => {
      if (error instanceof QueueFullError) throw new Pn532Error('BUSY', `${QUEUE_MAX} commands already wait for the chip`, { cause: error })
      throw error
    })
  }

  /** One command: send, wait for ACK (resending), wait for the response (NACKing bad frames). */
  async #command(code: number, parameters: Uint8Array = new Uint8Array(0)): Promise<Uint8Array> {
    const frame = encodeCommandFrame(code, parameters)
    const name = commandName(code)
    // A NACK means the chip dropped the frame, so a resend is always safe. Silence is not: the
    // chip may have taken the command and lost only its ACK, and an APDU sent twice could make
    // the phone sign a payment twice. Only commands that change nothing are resent on silence.
    const ackRetries_max = code === Command.InDataExchange ? 0 : this.#options.ackRetriesMax
    // Whatever arrived before this command belongs to an earlier, finished one.
    this.#inbox.length = 0
    let sends = 0
    let nacks = 0
    let acked = false
    // Bounded: each round is a send, at most 1 + ackRetriesMax + nackResendsMax of them.
    while (!acked) {
      await this.#write(frame)
      sends += 1
      const verdict = await this.#awaitAck()
      if (verdict === 'ack') acked = true
      else if (verdict === 'nack') {
        nacks += 1
        if (nacks > this.#options.nackResendsMax) throw new Pn532Error('NACKED', `the chip NACKed ${name} ${nacks} times`)
      } else if (sends - nacks > ackRetries_max) {
        // Should the chip have taken it after all, an ACK aborts it: no late answer to mistake.
        await this.#abort()
        throw new Pn532Error('NO_ACK', `no ACK to ${name} after ${sends} sends`)
      }
    }
    return this.#awaitResponse(code, name)
  }

  async #awaitAck(): Promise<'ack' | 'nack' | 'timeout'> {
    const deadline = this.#deadline(this.#options.ackTimeoutMs)
    try {
      // Bounded: the deadline ends it; the inbox holds at most INBOX_MAX events per arrival.
      for (;;) {
        const event = await this.#next(deadline)
        if (event === 'timeout') {
          if (this.#closed) throw new Pn532Error('IO', 'the driver closed while waiting for an ACK')
          return 'timeout'
        }
        if (event.kind === 'invalid') continue
        const frame = event.frame
        if (frame.kind === 'ack' || frame.kind === 'nack') return frame.kind
        if (frame.kind === 'syntax-error') throw new Pn532Error('SYNTAX_ERROR', 'the chip answered its syntax-error frame')
        // A late response to an aborted command: not ours.
      }
    } finally {
      deadline.cancel()
    }
  }

  async #awaitResponse(code: number, name: string): Promise<Uint8Array> {
    const deadline = this.#deadline(this.#options.responseTimeoutMs)
    let nacks = 0
    try {
      for (;;) {
        const event = await this.#next(deadline)
        if (event === 'timeout') {
          if (this.#closed) throw new Pn532Error('IO', `the driver closed while ${name} ran`)
          await this.#abort()
          throw new Pn532Error('TIMEOUT', `no response to ${name} within ${this.#options.responseTimeoutMs} ms`)
        }
        if (event.kind === 'invalid') {
          nacks += 1
          if (nacks > this.#options.responseNacksMax) {
            throw new Pn532Error('BAD_FRAME', `the response to ${name} stayed corrupted after ${nacks - 1} NACKs`, { cause: event.error })
          }
          await this.#write(nackFrame())
          continue
        }
        const frame = event.frame
        if (frame.kind === 'ack' || frame.kind === 'nack') continue
        if (frame.kind === 'syntax-error') throw new Pn532Error('SYNTAX_ERROR', `the chip answered ${name} with its syntax-error frame`)
        // Our own frame echoed by the line, or a late answer to an aborted command: not ours.
        if (frame.tfi !== TFI_PN532_TO_HOST || frame.data[0] !== ((code + 1) & 0xff)) continue
        return frame.data.subarray(1)
      }
    } finally {
      deadline.cancel()
    }
  }

  /** An ACK from the host aborts the chip's current command; a partial frame of it is not coming. */
  async #abort(): Promise<void> {
    this.#parser.reset()
    this.#inbox.length = 0
    if (!this.#closed) await this.#write(ackFrame())
  }

  #deadline(delay_ms: number): { expired: boolean; cancel: Cancel } {
    const deadline: { expired: boolean; cancel: Cancel } = { expired: false, cancel: () => undefined }
    deadline.cancel = this.#clock.setTimer(() => {
      deadline.expired = true
      this.#waiter?.('timeout')
    }, delay_ms)
    return deadline
  }

  #next(deadline: { expired: boolean }): Promise<ParseEvent | 'timeout'> {
    const queued = this.#inbox.shift()
    if (queued !== undefined) return Promise.resolve(queued)
    if (deadline.expired || this.#closed) return Promise.resolve('timeout')
    return new Promise(resolve => {
      this.#waiter = event => {
        this.#waiter = undefined
        resolve(event)
      }
    })
  }

  #receive(chunk: Buffer): void {
    let events: ParseEvent[]
    try {
      events = this.#parser.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength))
    } catch (error) {
      this.#parser.reset()
      events = [{ kind: 'invalid', error: new Pn532Error('BAD_FRAME', 'the parser failed on these bytes', { cause: error }) }]
    }
    for (const event of events) {
      if (this.#waiter !== undefined) this.#waiter(event)
      else {
        this.#inbox.push(event)
        if (this.#inbox.length > INBOX_MAX) this.#inbox.shift()
      }
    }
  }

  #write(bytes: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      try {
        this.#port.write(Buffer.from(bytes), error => {
          if (error) reject(new Pn532Error('IO', `writing to the PN532 failed: ${error.message}`, { cause: error }))
          else resolve()
        })
      } catch (error) {
        reject(new Pn532Error('IO', 'writing to the PN532 failed', { cause: error }))
      }
    })
  }
}

/** `NbTg [Tg ATQA(2) SAK NFCIDLength NFCID… [ATSLength ATS…]]` for one 106 kbps type A target. */
export function parsePassiveTarget(data: Uint8Array): PassiveTarget | undefined {
  const bad = (why: string) => new Pn532Error('BAD_RESPONSE', `InListPassiveTarget: ${why}`)
  if (data.length < 1) throw bad('no NbTg')
  const count = data[0]!
  if (count === 0) {
    if (data.length !== 1) throw bad('bytes after NbTg 0')
    return undefined
  }
  if (count !== 1) throw bad(`asked for one target, got ${count}`)
  if (data.length < 6) throw bad(`a target takes at least 6 bytes, got ${data.length - 1}`)
  const targetNumber = data[1]!
  const atqa = (data[2]! << 8) | data[3]!
  const sak = data[4]!
  const uidLength = data[5]!
  if (!UID_LENGTHS.includes(uidLength)) throw bad(`an NFCID1 is 4, 7 or 10 bytes, got ${uidLength}`)
  let offset = 6 + uidLength
  if (data.length < offset) throw bad('the NFCID1 is cut short')
  const uid = data.slice(6, offset)
  let ats: Uint8Array | undefined
  if ((sak & SAK_ISO14443_4) !== 0) {
    // TL, the ATS's first byte, counts itself.
    const atsLength = data[offset]
    if (atsLength === undefined || atsLength < 1) throw bad('an ISO 14443-4 target without its ATS')
    if (data.length < offset + atsLength) throw bad('the ATS is cut short')
    ats = data.slice(offset + 1, offset + atsLength)
    offset += atsLength
  }
  if (data.length !== offset) throw bad(`${data.length - offset} bytes after the target`)
  return { targetNumber, atqa, sak, uid, ats }
}

function checkStatus(status: number, command: string): void {
  const error = status & STATUS_ERROR_MASK
  if (error === STATUS_OK) return
  if (error === STATUS_TIMEOUT || error === STATUS_CARD_DISAPPEARED || error === STATUS_TARGET_RELEASED) {
    throw new Pn532Error('TARGET_GONE', `${command}: the target left the field (status ${hexByte(error)})`, { status: error })
  }
  throw new Pn532Error('STATUS', `${command} failed with status ${hexByte(error)}`, { status: error })
}

function checkTarget(targetNumber: number): void {
  if (!Number.isInteger(targetNumber) || targetNumber < 1 || targetNumber > 0x3f) {
    throw new Pn532Error('BAD_ARGUMENT', `a target number is 1..63, got ${targetNumber}`)
  }
}

function checkCount(value: number, name: string, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) throw new Pn532Error('BAD_ARGUMENT', `${name} must be an integer ≥ ${min}, got ${value}`)
  return value
}

function commandName(code: number): string {
  for (const [name, value] of Object.entries(Command)) if (value === code) return name
  return `command ${hexByte(code)}`
}
