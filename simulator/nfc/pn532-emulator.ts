// A PN532 at the byte level behind the device side of a serialport MockBinding port: it parses the
// host's frames and answers as the chip does (ACK, then the response frame; NACK → the last
// response again; a frame with a bad checksum ignored), with a phone in its field relayed through
// InDataExchange. Faults are armed one at a time and fire on the next command or response.

import type { MockPortBinding } from '@serialport/binding-mock'
import type { Clock, RandomBytes } from '../../protocol/clock'
import {
  FrameParser, TFI_HOST_TO_PN532, ackFrame, nackFrame, syntaxErrorFrame, encodeResponseFrame, type Pn532Frame,
} from '../../hardware/nfc/pn532-frame'
import { PacedLine } from './paced-line'
import {
  Command, DATA_EXCHANGE_MAX_BYTES, SAK_ISO14443_4, STATUS_CARD_DISAPPEARED, STATUS_OK, STATUS_TIMEOUT,
} from '../../hardware/nfc/pn532'

/** What sits in the field: an ISO 14443-4 target that answers APDUs, such as an HCE phone. */
export interface FieldTarget {
  processCommandApdu(apdu: Uint8Array): Uint8Array
  /** The reader released it or it left the field. */
  onDeactivated(): void
}

export interface Pn532EmulatorOptions {
  /** Draws each tap's random UID, as Android HCE shows a new one on every tap. Seed it in tests. */
  readonly random: RandomBytes
  /** A chip in power-down ignores frames until the HSU wake-up (`55 55 …`). Default true. */
  readonly asleep?: boolean
  /** Response bytes per InDataExchange answer before the "more information" bit. Default 262. */
  readonly dataExchangeChunkMaxBytes?: number
  /** Answers in a real line's time instead of at once (benchmarks): see EmulatorPacing. */
  readonly pacing?: EmulatorPacing
}

export interface EmulatorPacing {
  /** Times the line; a clock with sub-millisecond now_ms keeps the byte times exact. */
  readonly clock: Clock
  /** The HSU's baud rate, both ways (8N1). */
  readonly baudRate: number
  /** How long the target in the field takes to answer `apdu` with `answer`: the RF transfer and its own work. */
  readonly targetAnswer_ms: (apdu: Uint8Array, answer: Uint8Array) => number
}

export type Pn532Fault =
  /** Garbage on the line before the chip's next frame. */
  | { readonly kind: 'garbage'; readonly bytes: Uint8Array }
  /** The next response frame stops after `keepBytes` bytes. */
  | { readonly kind: 'cut'; readonly keepBytes: number }
  /** The next `count` response frames, resends included, arrive with a wrong DCS. */
  | { readonly kind: 'corrupt'; readonly count: number }
  /** No answer at all, not even an ACK, to the next `commands` commands. */
  | { readonly kind: 'silent'; readonly commands: number }
  /** ACK, then never a response, to the next command. */
  | { readonly kind: 'stall' }
  /**
   * A NACK frame instead of the ACK to the next `count` commands. UM0701 has only the host send
   * NACK; this is a line fault (noise, a miswired loopback) that the driver must survive.
   */
  | { readonly kind: 'nack-storm'; readonly count: number }
  /** The phone leaves the field after `afterExchanges` more InDataExchanges; the next answers `status`. */
  | { readonly kind: 'pull-away'; readonly afterExchanges: number; readonly status: typeof STATUS_TIMEOUT | typeof STATUS_CARD_DISAPPEARED }

/** IC 0x32 (PN532), version 1, revision 6, support 07 (ISO 14443 A and B, ISO 18092). */
const FIRMWARE_VERSION = [0x32, 0x01, 0x06, 0x07] as const
/** What Android HCE typically shows: ATQA 00 04, SAK 20 (ISO 14443-4), a short ATS. */
const PHONE_ATQA = Uint8Array.of(0x00, 0x04)
const PHONE_ATS = Uint8Array.of(0x05, 0x78, 0x80, 0x70, 0x02)
/** ISO 14443-3: a random single-size UID starts with 08. */
const RANDOM_UID_PREFIX = 0x08
const TARGET_NUMBER = 1
const WAKE_UP_BYTE = 0x55
/** PN532 error code: improper command in the current context. */
const STATUS_WRONG_CONTEXT = 0x27
const MORE_INFORMATION = 0x40
const RECEIVED_MAX = 256
const FAULTS_MAX = 16

interface Activation {
  readonly target: FieldTarget
  /** The answer's bytes not yet sent (InDataExchange with "more information"). */
  pending: Uint8Array
}

export class Pn532Emulator {
  readonly #binding: MockPortBinding
  readonly #originalWrite: MockPortBinding['write']
  readonly #random: RandomBytes
  readonly #chunk_bytes_max: number
  readonly #parser = new FrameParser()
  #awake: boolean
  #inField: { readonly target: FieldTarget; readonly uid: Uint8Array } | undefined
  #active: Activation | undefined
  #lastResponse: Uint8Array | undefined
  #faults: Pn532Fault[] = []
  #pullAway: { remaining: number; status: number } | undefined
  #silentCommands = 0
  #nackStorm = 0
  #corruptResponses = 0
  readonly #lines: { readonly fromHost: PacedLine; readonly toHost: PacedLine } | undefined
  readonly #targetAnswer_ms: EmulatorPacing['targetAnswer_ms'] | undefined
  /** With pacing: the time the target took for the answer being sent, which the response frame waits for. */
  #answerDelay_ms = 0
  /** The last RECEIVED_MAX well-formed frames the host sent, in order (a simulated run is long). */
  readonly received: Pn532Frame[] = []
  /** Frames that failed their checksums (the chip ignores them). */
  ignoredFrames = 0

  private constructor(binding: MockPortBinding, options: Pn532EmulatorOptions) {
    this.#binding = binding
    this.#random = options.random
    this.#awake = !(options.asleep ?? true)
    this.#chunk_bytes_max = options.dataExchangeChunkMaxBytes ?? DATA_EXCHANGE_MAX_BYTES
    this.#originalWrite = binding.write
    const pacing = options.pacing
    if (pacing !== undefined) {
      this.#lines = { fromHost: new PacedLine(pacing.clock, pacing.baudRate), toHost: new PacedLine(pacing.clock, pacing.baudRate) }
      this.#targetAnswer_ms = pacing.targetAnswer_ms
    }
    binding.write = async (buffer: Buffer): Promise<void> => {
      await this.#originalWrite.call(binding, buffer)
      const bytes = new Uint8Array(buffer)
      if (this.#lines === undefined) this.#fromHost(bytes)
      else this.#lines.fromHost.send(bytes.length, () => this.#fromHost(bytes))
    }
  }

  /** Attaches to an open SerialPortMock's binding (`port.port`): the host's writes reach the chip. */
  static attach(port: { readonly port?: MockPortBinding | undefined }, options: Pn532EmulatorOptions): Pn532Emulator {
    if (port.port === undefined) throw new Error('open the SerialPortMock before attaching the PN532 emulator')
    return new Pn532Emulator(port.port, options)
  }

  /** Hands the host's writes back to the plain mock port. */
  detach(): void {
    this.#binding.write = this.#originalWrite
  }

  get awake(): boolean {
    return this.#awake
  }

  /** A phone enters the field, with a fresh random UID. */
  tap(target: FieldTarget): void {
    this.remove()
    const uid = new Uint8Array(4)
    uid[0] = RANDOM_UID_PREFIX
    uid.set(this.#random(3), 1)
    this.#inField = { target, uid }
  }

  /** The phone leaves the field. */
  remove(): void {
    if (this.#inField === undefined) return
    const { target } = this.#inField
    this.#inField = undefined
    if (this.#active !== undefined) {
      this.#active = undefined
      target.onDeactivated()
    }
  }

  /** The UID the phone in the field shows, if one is there. */
  get uidInField(): Uint8Array | undefined {
    return this.#inField?.uid.slice()
  }

  /** Arms a fault; one-shot faults wait in order, at most FAULTS_MAX of them. */
  inject(fault: Pn532Fault): void {
    const count = fault.kind === 'silent' ? fault.commands
      : fault.kind === 'nack-storm' || fault.kind === 'corrupt' ? fault.count
        : fault.kind === 'pull-away' ? fault.afterExchanges
          : fault.kind === 'cut' ? fault.keepBytes : 0
    if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`a ${fault.kind} fault takes a non-negative integer, got ${count}`)
    if (this.#faults.length >= FAULTS_MAX) throw new RangeError(`at most ${FAULTS_MAX} one-shot faults wait at a time`)
    switch (fault.kind) {
      case 'silent': this.#silentCommands += fault.commands; break
      case 'nack-storm': this.#nackStorm += fault.count; break
      case 'corrupt': this.#corruptResponses += fault.count; break
      case 'pull-away': this.#pullAway = { remaining: fault.afterExchanges, status: fault.status }; break
      default: this.#faults.push(fault)
    }
  }

  #fromHost(bytes: Uint8Array): void {
    let input = bytes
    if (!this.#awake) {
      const wake = bytes.indexOf(WAKE_UP_BYTE)
      if (wake < 0) return
      this.#awake = true
      input = bytes.subarray(wake)
    }
    for (const event of this.#parser.push(input)) {
      if (event.kind === 'invalid') {
        this.ignoredFrames += 1
        continue
      }
      this.received.push(event.frame)
      if (this.received.length > RECEIVED_MAX) this.received.shift()
      this.#onFrame(event.frame)
    }
  }

  #onFrame(frame: Pn532Frame): void {
    switch (frame.kind) {
      case 'ack':
        // The host aborts a running command; every command here has already answered.
        return
      case 'nack':
        if (this.#lastResponse !== undefined) this.#send(this.#lastResponse, false)
        return
      case 'syntax-error':
        return
      case 'information':
        break
    }
    if (frame.tfi !== TFI_HOST_TO_PN532) return
    if (this.#silentCommands > 0) {
      this.#silentCommands -= 1
      return
    }
    if (this.#nackStorm > 0) {
      this.#nackStorm -= 1
      this.#emit(nackFrame())
      return
    }
    this.#emit(ackFrame())
    if (this.#takeFault('stall') !== undefined) return
    this.#answerDelay_ms = 0
    const response = this.#respond(frame.data[0]!, frame.data.subarray(1))
    this.#lastResponse = response
    this.#send(response, true, this.#answerDelay_ms)
  }

  #respond(code: number, parameters: Uint8Array): Uint8Array {
    switch (code) {
      case Command.GetFirmwareVersion:
        return encodeResponseFrame(code, Uint8Array.from(FIRMWARE_VERSION))
      case Command.SamConfiguration:
        if (parameters.length < 1 || parameters.length > 3 || parameters[0]! < 1 || parameters[0]! > 4) return syntaxErrorFrame()
        return encodeResponseFrame(code)
      case Command.RfConfiguration:
        return parameters.length >= 1 ? encodeResponseFrame(code) : syntaxErrorFrame()
      case Command.InListPassiveTarget:
        return this.#listPassiveTarget(code, parameters)
      case Command.InDataExchange:
        if (parameters.length < 1) return syntaxErrorFrame()
        return encodeResponseFrame(code, this.#dataExchange(parameters[0]!, parameters.subarray(1)))
      case Command.InRelease:
        if (parameters.length !== 1) return syntaxErrorFrame()
        this.#release()
        return encodeResponseFrame(code, Uint8Array.of(STATUS_OK))
      default:
        return syntaxErrorFrame()
    }
  }

  #listPassiveTarget(code: number, parameters: Uint8Array): Uint8Array {
    // MaxTg 1..2, BrTy 00 (106 kbps type A) is all this chip's antenna is asked for.
    if (parameters.length < 2 || parameters[0]! < 1 || parameters[0]! > 2 || parameters[1] !== 0x00) return syntaxErrorFrame()
    const inField = this.#inField
    if (inField === undefined) return encodeResponseFrame(code, Uint8Array.of(0x00))
    if (this.#active !== undefined) inField.target.onDeactivated()
    this.#active = { target: inField.target, pending: new Uint8Array(0) }
    return encodeResponseFrame(code, Uint8Array.of(
      0x01, TARGET_NUMBER, ...PHONE_ATQA, SAK_ISO14443_4, inField.uid.length, ...inField.uid, ...PHONE_ATS,
    ))
  }

  /** The status byte and the target's answer. */
  #dataExchange(target: number, apdu: Uint8Array): Uint8Array {
    if ((target & 0x3f) !== TARGET_NUMBER || this.#active === undefined) return Uint8Array.of(STATUS_WRONG_CONTEXT)
    if (this.#pullAway !== undefined) {
      if (this.#pullAway.remaining === 0) {
        const status = this.#pullAway.status
        this.#pullAway = undefined
        this.remove()
        return Uint8Array.of(status)
      }
      this.#pullAway.remaining -= 1
    }
    const activation = this.#active
    if (activation.pending.length === 0) {
      if (apdu.length === 0) return Uint8Array.of(STATUS_WRONG_CONTEXT)
      activation.pending = activation.target.processCommandApdu(apdu.slice())
      this.#answerDelay_ms = this.#targetAnswer_ms?.(apdu, activation.pending) ?? 0
    }
    const piece = activation.pending.subarray(0, this.#chunk_bytes_max)
    activation.pending = activation.pending.slice(piece.length)
    const status = activation.pending.length > 0 ? MORE_INFORMATION : STATUS_OK
    return Uint8Array.of(status, ...piece)
  }

  #release(): void {
    if (this.#active === undefined) return
    const { target } = this.#active
    this.#active = undefined
    target.onDeactivated()
  }

  /** Sends a response frame through the armed faults; a resend after NACK is only corrupted. */
  #send(frame: Uint8Array, first = true, ready_ms = 0): void {
    let bytes = frame
    const garbage = first ? this.#takeFault('garbage') : undefined
    if (garbage !== undefined) this.#emit(garbage.bytes)
    if (this.#corruptResponses > 0) {
      this.#corruptResponses -= 1
      bytes = frame.slice()
      bytes[bytes.length - 2] = (bytes[bytes.length - 2]! + 1) & 0xff
    }
    const cut = first ? this.#takeFault('cut') : undefined
    if (cut !== undefined) bytes = bytes.subarray(0, cut.keepBytes)
    this.#emit(bytes, ready_ms)
  }

  #takeFault<Kind extends Pn532Fault['kind']>(kind: Kind): Extract<Pn532Fault, { kind: Kind }> | undefined {
    const index = this.#faults.findIndex(fault => fault.kind === kind)
    if (index < 0) return undefined
    return this.#faults.splice(index, 1)[0] as Extract<Pn532Fault, { kind: Kind }>
  }

  #emit(bytes: Uint8Array, ready_ms = 0): void {
    if (bytes.length === 0) return
    const data = Buffer.from(bytes)
    if (this.#lines === undefined) this.#binding.emitData(data)
    else this.#lines.toHost.send(data.length, () => this.#binding.emitData(data), ready_ms)
  }
}
