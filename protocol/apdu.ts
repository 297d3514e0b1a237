// ISO 7816-4 APDUs between the gateway's reader and the customer's phone (Android HCE):
// short command/response codecs, SELECT by AID, and the command and response chaining that
// carry PayAll messages longer than one APDU. Message content stays opaque bytes here.

import { concatBytes, fromHex } from './bytes'
import { ProtocolError } from './errors'

export interface CommandApdu {
  readonly cla: number
  readonly ins: number
  readonly p1: number
  readonly p2: number
  /** At most 255 bytes on the wire; a longer logical command is split by chainCommand. */
  readonly data: Uint8Array
  /** Expected response length Ne, 1..256 (256 encodes as 00); absent when no response data is expected. */
  readonly le?: number
}

export interface ResponseApdu {
  readonly data: Uint8Array
  /** Status word SW1SW2, e.g. 0x9000. */
  readonly sw: number
}

// Short APDUs only (ISO 7816-4 §5.1): Lc 1..255, Ne 1..256.
const COMMAND_DATA_MAX_BYTES = 255
export const RESPONSE_DATA_MAX_BYTES = 256
const COMMAND_MAX_BYTES = 4 + 1 + COMMAND_DATA_MAX_BYTES + 1
const RESPONSE_MAX_BYTES = RESPONSE_DATA_MAX_BYTES + 2
const LE_MAX = 256

/** Bound on a whole chained message, either way. */
export const MESSAGE_MAX_BYTES = 4096
/** Bound on GET RESPONSE rounds for one command: 4096 bytes in 64-byte pieces. */
export const GET_RESPONSE_ROUNDS_MAX = 64

export const SW_OK = 0x9000
/** Application not found: what Android answers when no service registered the AID. */
export const SW_FILE_NOT_FOUND = 0x6a82
export const SW_WRONG_P1P2 = 0x6a86
export const SW_SECURITY_NOT_SATISFIED = 0x6982
export const SW_INS_NOT_SUPPORTED = 0x6d00
export const SW_CLA_NOT_SUPPORTED = 0x6e00
export const SW_WRONG_LENGTH = 0x6700
/** No precise diagnosis: what Android answers for other failures. */
export const SW_UNKNOWN = 0x6f00
/** SW1 of 61xx: xx more bytes available (00 = 256 or more), fetch them with GET RESPONSE. */
const SW1_MORE_DATA = 0x61

const CLA_INTERINDUSTRY = 0x00
export const CLA_PROPRIETARY = 0x80
/** Set in CLA on every link of a command chain but the last. */
export const CLA_CHAINING = 0x10
export const INS_SELECT = 0xa4
export const INS_GET_RESPONSE = 0xc0
/** PayAll: carries an encoded payment request to the phone. */
export const INS_PAYMENT_REQUEST = 0x50
const P1_SELECT_BY_NAME = 0x04

const AID_MIN_BYTES = 5
const AID_MAX_BYTES = 16
/** The PayAll proprietary AID: F0 then "PAYALL" in ASCII. */
export const PAYALL_AID_HEX = 'F0504159414C4C'

const STATUS_DESCRIPTIONS: ReadonlyMap<number, string> = new Map([
  [SW_OK, 'ok'],
  [SW_FILE_NOT_FOUND, 'application not found'],
  [SW_WRONG_P1P2, 'wrong P1/P2'],
  [SW_SECURITY_NOT_SATISFIED, 'security status not satisfied'],
  [SW_INS_NOT_SUPPORTED, 'instruction not supported'],
  [SW_CLA_NOT_SUPPORTED, 'class not supported'],
  [SW_WRONG_LENGTH, 'wrong length'],
  [SW_UNKNOWN, 'unknown error, no precise diagnosis'],
])

export function isMoreData(sw: number): boolean {
  return sw >> 8 === SW1_MORE_DATA
}

/** The byte count a 61xx status word announces (61 00 means 256 or more). */
export function moreDataLength(sw: number): number {
  if (!isMoreData(sw)) throw new ProtocolError('BAD_APDU', `${hexWord(sw)} is not a 61xx status word`)
  return sw & 0xff || LE_MAX
}

export function describeStatusWord(sw: number): string {
  if (!Number.isInteger(sw) || sw < 0 || sw > 0xffff) return `not a status word: ${String(sw)}`
  if (isMoreData(sw)) return `more data available (${moreDataLength(sw)} bytes): send GET RESPONSE`
  const description = STATUS_DESCRIPTIONS.get(sw)
  return description === undefined ? `status word ${hexWord(sw)}` : `${description} (${hexWord(sw)})`
}

export function encodeCommandApdu(command: CommandApdu): Uint8Array {
  checkCommand(command)
  const { data, le } = command
  const out = new Uint8Array(4 + (data.length > 0 ? 1 + data.length : 0) + (le === undefined ? 0 : 1))
  out[0] = command.cla
  out[1] = command.ins
  out[2] = command.p1
  out[3] = command.p2
  let offset = 4
  if (data.length > 0) {
    out[4] = data.length
    out.set(data, 5)
    offset = 5 + data.length
  }
  if (le !== undefined) out[offset] = le & 0xff
  return out
}

/** Decodes a short command APDU of any case 1–4; extended-length APDUs are refused. */
export function decodeCommandApdu(bytes: Uint8Array): CommandApdu {
  if (!(bytes instanceof Uint8Array)) throw new ProtocolError('BAD_APDU', 'an APDU must be bytes')
  if (bytes.length < 4) throw new ProtocolError('BAD_APDU', `an APDU has a 4-byte header, got ${bytes.length} bytes`)
  if (bytes.length > COMMAND_MAX_BYTES) {
    throw new ProtocolError('BAD_APDU', `a short command APDU is at most ${COMMAND_MAX_BYTES} bytes, got ${bytes.length}`)
  }
  const header = { cla: bytes[0]!, ins: bytes[1]!, p1: bytes[2]!, p2: bytes[3]! }
  if (bytes.length === 4) return { ...header, data: new Uint8Array(0) }
  const lengthByte = bytes[4]!
  if (bytes.length === 5) return { ...header, data: new Uint8Array(0), le: lengthByte || LE_MAX }
  if (lengthByte === 0) throw new ProtocolError('BAD_APDU', 'extended-length APDUs are not supported')
  const dataEnd = 5 + lengthByte
  const data = bytes.slice(5, dataEnd)
  if (bytes.length === dataEnd) return { ...header, data }
  if (bytes.length === dataEnd + 1) return { ...header, data, le: bytes[dataEnd]! || LE_MAX }
  throw new ProtocolError('BAD_APDU', `Lc ${lengthByte} does not fit an APDU of ${bytes.length} bytes`)
}

export function encodeResponseApdu(response: ResponseApdu): Uint8Array {
  checkResponse(response)
  const { data, sw } = response
  const out = new Uint8Array(data.length + 2)
  out.set(data, 0)
  out[data.length] = sw >> 8
  out[data.length + 1] = sw & 0xff
  return out
}

/** Decodes a response: data (up to 256 bytes) then SW1 SW2, SW1 being 6x or 9x (not 60). */
export function decodeResponseApdu(bytes: Uint8Array): ResponseApdu {
  if (!(bytes instanceof Uint8Array)) throw new ProtocolError('BAD_APDU', 'a response APDU must be bytes')
  if (bytes.length < 2) throw new ProtocolError('BAD_APDU', `a response ends with a 2-byte status word, got ${bytes.length} bytes`)
  if (bytes.length > RESPONSE_MAX_BYTES) {
    throw new ProtocolError('BAD_APDU', `a short response APDU is at most ${RESPONSE_MAX_BYTES} bytes, got ${bytes.length}`)
  }
  const sw = (bytes[bytes.length - 2]! << 8) | bytes[bytes.length - 1]!
  checkStatusWord(sw)
  return { data: bytes.slice(0, bytes.length - 2), sw }
}

/** SELECT by AID (name): `00 A4 04 00 Lc AID 00`. */
export function selectAid(aid: Uint8Array): CommandApdu {
  if (!(aid instanceof Uint8Array) || aid.length < AID_MIN_BYTES || aid.length > AID_MAX_BYTES) {
    throw new ProtocolError('BAD_APDU', `an AID is ${AID_MIN_BYTES}..${AID_MAX_BYTES} bytes`)
  }
  return { cla: CLA_INTERINDUSTRY, ins: INS_SELECT, p1: P1_SELECT_BY_NAME, p2: 0x00, data: aid.slice(), le: LE_MAX }
}

/** A fresh copy of the PayAll AID (a shared Uint8Array could be mutated by any caller). */
export function payAllAid(): Uint8Array {
  return fromHex(PAYALL_AID_HEX)
}

export function selectPayAll(): CommandApdu {
  return selectAid(payAllAid())
}

/** GET RESPONSE `00 C0 00 00 Le`: fetches the next piece of a chained response. */
export function getResponseCommand(le: number): CommandApdu {
  checkLe(le)
  return { cla: CLA_INTERINDUSTRY, ins: INS_GET_RESPONSE, p1: 0x00, p2: 0x00, data: new Uint8Array(0), le }
}

/** The logical PAYMENT_REQUEST command; its data may exceed one APDU, exchangeChained splits it. */
export function paymentRequestCommand(message: Uint8Array): CommandApdu {
  checkMessage(message)
  return { cla: CLA_PROPRIETARY, ins: INS_PAYMENT_REQUEST, p1: 0x00, p2: 0x00, data: message.slice(), le: LE_MAX }
}

/**
 * Splits a long command into links of at most chunkMaxBytes: CLA has the chaining bit on all
 * but the last link, which alone carries `le`. Empty data gives one link without Lc.
 */
export function chainCommand(
  cla: number,
  ins: number,
  p1: number,
  p2: number,
  data: Uint8Array,
  chunk_bytes_max = COMMAND_DATA_MAX_BYTES,
  le?: number,
): CommandApdu[] {
  checkHeader({ cla, ins, p1, p2 })
  if ((cla & CLA_CHAINING) !== 0) throw new ProtocolError('BAD_APDU', `CLA ${hexByte(cla)} already has the chaining bit`)
  checkMessage(data)
  checkChunkMax(chunk_bytes_max, COMMAND_DATA_MAX_BYTES)
  if (le !== undefined) checkLe(le)
  const last = (part: Uint8Array): CommandApdu =>
    le === undefined ? { cla, ins, p1, p2, data: part } : { cla, ins, p1, p2, data: part, le }
  if (data.length === 0) return [last(new Uint8Array(0))]
  const links: CommandApdu[] = []
  // Bounded: data is at most MESSAGE_MAX_BYTES.
  for (let offset = 0; offset < data.length; offset += chunk_bytes_max) {
    const end = Math.min(offset + chunk_bytes_max, data.length)
    const part = data.slice(offset, end)
    links.push(end === data.length ? last(part) : { cla: cla | CLA_CHAINING, ins, p1, p2, data: part })
  }
  return links
}

/**
 * Phone side: feeds command APDUs and yields each whole command once its last link arrives
 * (the phone answers 9000 to the links before). A bad link discards the open chain.
 */
export class CommandAssembler {
  readonly #message_bytes_max: number
  #header: { cla: number; ins: number; p1: number; p2: number } | undefined
  #parts: Uint8Array[] = []
  #length = 0

  constructor(message_bytes_max = MESSAGE_MAX_BYTES) {
    if (!Number.isInteger(message_bytes_max) || message_bytes_max < 1) {
      throw new ProtocolError('OUT_OF_RANGE', `message bound must be a positive integer, got ${message_bytes_max}`)
    }
    this.#message_bytes_max = message_bytes_max
  }

  /** True while a chain is open: more links are expected. */
  get pending(): boolean {
    return this.#header !== undefined
  }

  /** Returns the whole command after its last link, undefined while the chain goes on. */
  push(command: CommandApdu): CommandApdu | undefined {
    try {
      return this.#push(command)
    } catch (error) {
      this.reset()
      throw error
    }
  }

  /** Drops an open chain, e.g. when the phone leaves the field (HCE onDeactivated). */
  reset(): void {
    this.#header = undefined
    this.#parts = []
    this.#length = 0
  }

  #push(command: CommandApdu): CommandApdu | undefined {
    checkCommand(command)
    const chained = (command.cla & CLA_CHAINING) !== 0
    const header = { cla: command.cla & ~CLA_CHAINING, ins: command.ins, p1: command.p1, p2: command.p2 }
    const open = this.#header
    if (
      open !== undefined &&
      (open.cla !== header.cla || open.ins !== header.ins || open.p1 !== header.p1 || open.p2 !== header.p2)
    ) {
      throw new ProtocolError('BAD_APDU', 'a command chain was interrupted by another command')
    }
    if (chained && command.data.length === 0) throw new ProtocolError('BAD_APDU', 'an empty link in a command chain')
    this.#length += command.data.length
    if (this.#length > this.#message_bytes_max) {
      throw new ProtocolError('BAD_LENGTH', `a chained command is at most ${this.#message_bytes_max} bytes`)
    }
    this.#parts.push(command.data)
    if (chained) {
      this.#header = header
      return undefined
    }
    const data = concatBytes(...this.#parts)
    this.reset()
    return command.le === undefined ? { ...header, data } : { ...header, data, le: command.le }
  }
}

/**
 * Phone side: splits a response into what the phone answers first and what each following
 * GET RESPONSE returns: every piece but the last ends with 61xx (xx = bytes still available).
 */
export function chainResponse(data: Uint8Array, sw: number, chunk_bytes_max = RESPONSE_DATA_MAX_BYTES): ResponseApdu[] {
  checkMessage(data)
  checkStatusWord(sw)
  if (isMoreData(sw)) throw new ProtocolError('BAD_APDU', 'the final status word of a response cannot be 61xx')
  checkChunkMax(chunk_bytes_max, RESPONSE_DATA_MAX_BYTES)
  if (data.length <= chunk_bytes_max) return [{ data: data.slice(), sw }]
  const responses: ResponseApdu[] = []
  // Bounded: data is at most MESSAGE_MAX_BYTES.
  for (let offset = 0; offset < data.length; offset += chunk_bytes_max) {
    const end = Math.min(offset + chunk_bytes_max, data.length)
    const remaining = data.length - end
    const pieceSw = remaining === 0 ? sw : (SW1_MORE_DATA << 8) | (Math.min(remaining, LE_MAX) & 0xff)
    responses.push({ data: data.slice(offset, end), sw: pieceSw })
  }
  return responses
}

export type ResponseStep =
  | { readonly kind: 'more'; readonly getResponse: CommandApdu }
  | { readonly kind: 'complete'; readonly response: ResponseApdu }

/**
 * Reader side: collects a chained response. Each 61xx answer asks for one more GET RESPONSE,
 * up to roundsMax; the total is bounded by messageMaxBytes. Ready for the next command once complete.
 */
export class ResponseAssembler {
  readonly #message_bytes_max: number
  readonly #rounds_max: number
  #parts: Uint8Array[] = []
  #length = 0
  #rounds = 0
  #expected_bytes_max = RESPONSE_DATA_MAX_BYTES

  constructor(message_bytes_max = MESSAGE_MAX_BYTES, rounds_max = GET_RESPONSE_ROUNDS_MAX) {
    if (!Number.isInteger(message_bytes_max) || message_bytes_max < 1) {
      throw new ProtocolError('OUT_OF_RANGE', `message bound must be a positive integer, got ${message_bytes_max}`)
    }
    if (!Number.isInteger(rounds_max) || rounds_max < 0) {
      throw new ProtocolError('OUT_OF_RANGE', `rounds bound must be a non-negative integer, got ${rounds_max}`)
    }
    this.#message_bytes_max = message_bytes_max
    this.#rounds_max = rounds_max
  }

  push(response: ResponseApdu): ResponseStep {
    try {
      return this.#push(response)
    } catch (error) {
      this.reset()
      throw error
    }
  }

  reset(): void {
    this.#parts = []
    this.#length = 0
    this.#rounds = 0
    this.#expected_bytes_max = RESPONSE_DATA_MAX_BYTES
  }

  #push(response: ResponseApdu): ResponseStep {
    checkResponse(response)
    if (response.data.length > this.#expected_bytes_max) {
      throw new ProtocolError(
        'BAD_APDU',
        `the phone sent ${response.data.length} bytes where GET RESPONSE asked for ${this.#expected_bytes_max}`,
      )
    }
    this.#length += response.data.length
    if (this.#length > this.#message_bytes_max) {
      throw new ProtocolError('BAD_LENGTH', `a chained response is at most ${this.#message_bytes_max} bytes`)
    }
    this.#parts.push(response.data)
    if (isMoreData(response.sw)) {
      this.#rounds += 1
      if (this.#rounds > this.#rounds_max) {
        throw new ProtocolError('TOO_MANY', `more than ${this.#rounds_max} GET RESPONSE rounds`)
      }
      this.#expected_bytes_max = moreDataLength(response.sw)
      return { kind: 'more', getResponse: getResponseCommand(this.#expected_bytes_max) }
    }
    const whole = { data: concatBytes(...this.#parts), sw: response.sw }
    this.reset()
    return { kind: 'complete', response: whole }
  }
}

/** Sends one APDU to the phone and resolves with its raw answer (e.g. PN532 InDataExchange). */
export type Transmit = (apdu: Uint8Array) => Promise<Uint8Array>

export interface ExchangeOptions {
  /** Data bytes per command link; lower it when the reader's frame is smaller. Default 255. */
  readonly chunkMaxBytes?: number
  /** Bound on the whole response data. Default MESSAGE_MAX_BYTES. */
  readonly responseMaxBytes?: number
  /** Bound on GET RESPONSE rounds. Default GET_RESPONSE_ROUNDS_MAX. */
  readonly getResponseRoundsMax?: number
}

/**
 * Reader side: sends a logical command (chained if longer than one APDU), follows 61xx with
 * GET RESPONSE, and returns the whole response data and the final status word. If the phone
 * refuses a link of the chain, its answer is returned as is. Errors of `transmit` pass through.
 */
export async function exchangeChained(
  transmit: Transmit,
  command: CommandApdu,
  options: ExchangeOptions = {},
): Promise<ResponseApdu> {
  const links = chainCommand(
    command.cla,
    command.ins,
    command.p1,
    command.p2,
    command.data,
    options.chunkMaxBytes ?? COMMAND_DATA_MAX_BYTES,
    command.le,
  )
  const assembler = new ResponseAssembler(
    options.responseMaxBytes ?? MESSAGE_MAX_BYTES,
    options.getResponseRoundsMax ?? GET_RESPONSE_ROUNDS_MAX,
  )
  // Bounded: at most MESSAGE_MAX_BYTES links.
  for (let index = 0; index < links.length - 1; index++) {
    const answer = decodeResponseApdu(await transmit(encodeCommandApdu(links[index]!)))
    if (answer.sw !== SW_OK) {
      if (isMoreData(answer.sw)) throw new ProtocolError('BAD_APDU', 'the phone answered 61xx to a link of a command chain')
      return answer
    }
    if (answer.data.length > 0) throw new ProtocolError('BAD_APDU', 'the phone answered data to a link of a command chain')
  }
  let step = assembler.push(decodeResponseApdu(await transmit(encodeCommandApdu(links[links.length - 1]!))))
  // Bounded: the assembler throws TOO_MANY past getResponseRoundsMax.
  while (step.kind === 'more') {
    step = assembler.push(decodeResponseApdu(await transmit(encodeCommandApdu(step.getResponse))))
  }
  return step.response
}

function checkHeader(header: { cla: unknown; ins: unknown; p1: unknown; p2: unknown }): void {
  checkByte(header.cla, 'CLA')
  checkByte(header.ins, 'INS')
  checkByte(header.p1, 'P1')
  checkByte(header.p2, 'P2')
}

function checkCommand(command: CommandApdu): void {
  if (typeof command !== 'object' || command === null) throw new ProtocolError('BAD_APDU', 'a command APDU must be an object')
  checkHeader(command)
  if (!(command.data instanceof Uint8Array)) throw new ProtocolError('BAD_APDU', 'command data must be bytes')
  if (command.data.length > COMMAND_DATA_MAX_BYTES) {
    throw new ProtocolError(
      'BAD_APDU',
      `a short APDU carries at most ${COMMAND_DATA_MAX_BYTES} data bytes, got ${command.data.length}: chain it`,
    )
  }
  if (command.le !== undefined) checkLe(command.le)
}

function checkResponse(response: ResponseApdu): void {
  if (typeof response !== 'object' || response === null) throw new ProtocolError('BAD_APDU', 'a response APDU must be an object')
  if (!(response.data instanceof Uint8Array)) throw new ProtocolError('BAD_APDU', 'response data must be bytes')
  if (response.data.length > RESPONSE_DATA_MAX_BYTES) {
    throw new ProtocolError(
      'BAD_APDU',
      `a short response carries at most ${RESPONSE_DATA_MAX_BYTES} data bytes, got ${response.data.length}: chain it`,
    )
  }
  checkStatusWord(response.sw)
}

function checkByte(value: unknown, field: string): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xff) {
    throw new ProtocolError('BAD_APDU', `${field} must be a byte, got ${typeof value === 'number' ? value : typeof value}`)
  }
}

function checkLe(le: unknown): void {
  if (typeof le !== 'number' || !Number.isInteger(le) || le < 1 || le > LE_MAX) {
    throw new ProtocolError('BAD_APDU', `Le must be 1..${LE_MAX}, got ${typeof le === 'number' ? le : typeof le}`)
  }
}

// ISO 7816-4 §5.1.3: SW1 is 6x or 9x, except 60.
function checkStatusWord(sw: unknown): void {
  if (typeof sw !== 'number' || !Number.isInteger(sw) || sw < 0 || sw > 0xffff) {
    throw new ProtocolError('BAD_APDU', `a status word is two bytes, got ${typeof sw === 'number' ? sw : typeof sw}`)
  }
  const sw1 = sw >> 8
  if (!((sw1 > 0x60 && sw1 <= 0x6f) || (sw1 >= 0x90 && sw1 <= 0x9f))) {
    throw new ProtocolError('BAD_APDU', `SW1 must be 61..6F or 90..9F, got ${hexWord(sw)}`)
  }
}

function checkMessage(data: unknown): asserts data is Uint8Array {
  if (!(data instanceof Uint8Array)) throw new ProtocolError('BAD_APDU', 'message data must be bytes')
  if (data.length > MESSAGE_MAX_BYTES) {
    throw new ProtocolError('BAD_LENGTH', `a chained message is at most ${MESSAGE_MAX_BYTES} bytes, got ${data.length}`)
  }
}

function checkChunkMax(chunkMaxBytes: unknown, limit: number): asserts chunkMaxBytes is number {
  if (typeof chunkMaxBytes !== 'number' || !Number.isInteger(chunkMaxBytes) || chunkMaxBytes < 1 || chunkMaxBytes > limit) {
    throw new ProtocolError('OUT_OF_RANGE', `chunk size must be 1..${limit} bytes`)
  }
}

function hexByte(value: number): string {
  return value.toString(16).toUpperCase().padStart(2, '0')
}

function hexWord(value: number): string {
  return value.toString(16).toUpperCase().padStart(4, '0')
}
