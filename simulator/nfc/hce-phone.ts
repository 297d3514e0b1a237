// A virtual Android phone doing host-card emulation around a VirtualPhone wallet: Android itself
// answers SELECT of an AID no service registered with 6A82, and anything before a SELECT with
// 6F00; the PayAll service takes the chained payment request and answers the encoded
// PaymentResponse, chained with 61xx and GET RESPONSE when it is longer than one APDU.

import {
  CLA_CHAINING, CLA_PROPRIETARY, CommandAssembler, INS_GET_RESPONSE, INS_PAYMENT_REQUEST, INS_SELECT, RESPONSE_DATA_MAX_BYTES,
  SW_CLA_NOT_SUPPORTED, SW_FILE_NOT_FOUND, SW_INS_NOT_SUPPORTED, SW_OK, SW_UNKNOWN, chainResponse, decodeCommandApdu,
  encodeResponseApdu, payAllAid, type CommandApdu, type ResponseApdu,
} from '../../protocol/apdu'
import { equalBytes } from '../../protocol/bytes'
import { ProtocolError } from '../../protocol/errors'
import { paymentRequestCodec } from '../../protocol/messages/payment-request'
import { paymentResponseCodec } from '../../protocol/messages/payment-response'
import { PhoneDeclined, type VirtualPhone } from '../phone'
import type { FieldTarget } from './pn532-emulator'

/** ISO 7816-4 "conditions of use not satisfied": the wallet will not pay this request. */
export const SW_CONDITIONS_NOT_SATISFIED = 0x6985
/** ISO 7816-4 "incorrect parameters in the data field": the request did not decode. */
const SW_WRONG_DATA = 0x6a80
const P1_SELECT_BY_NAME = 0x04

export interface HcePhoneOptions {
  /** Data bytes per response piece before 61xx chaining; 256 as a short APDU allows. */
  readonly responseChunkMaxBytes?: number
  /** False for a phone without the PayAll wallet: Android answers SELECT of its AID with 6A82. */
  readonly payAllInstalled?: boolean
}

export class HcePhone implements FieldTarget {
  readonly #wallet: VirtualPhone
  readonly #chunk_bytes_max: number
  readonly #installed: boolean
  readonly #assembler = new CommandAssembler()
  #selected = false
  #pendingPieces: ResponseApdu[] = []
  /** Every command APDU the phone received, for tests to read. */
  readonly received: CommandApdu[] = []
  /** How often Android told the service the reader went away. */
  deactivations = 0

  constructor(wallet: VirtualPhone, options: HcePhoneOptions = {}) {
    this.#wallet = wallet
    this.#chunk_bytes_max = options.responseChunkMaxBytes ?? RESPONSE_DATA_MAX_BYTES
    this.#installed = options.payAllInstalled ?? true
  }

  processCommandApdu(bytes: Uint8Array): Uint8Array {
    let command: CommandApdu
    try {
      command = decodeCommandApdu(bytes)
    } catch (error) {
      if (error instanceof ProtocolError) return statusOnly(SW_UNKNOWN)
      throw error
    }
    this.received.push(command)
    return encodeResponseApdu(this.#answer(command))
  }

  /** The field is gone or the reader released the phone: Android ends the service's session. */
  onDeactivated(): void {
    this.deactivations += 1
    this.#selected = false
    this.#pendingPieces = []
    this.#assembler.reset()
  }

  #answer(command: CommandApdu): ResponseApdu {
    if (command.ins === INS_SELECT && command.p1 === P1_SELECT_BY_NAME) {
      this.#selected = this.#installed && equalBytes(command.data, payAllAid())
      this.#pendingPieces = []
      this.#assembler.reset()
      return { data: new Uint8Array(0), sw: this.#selected ? SW_OK : SW_FILE_NOT_FOUND }
    }
    if (!this.#selected) return { data: new Uint8Array(0), sw: SW_UNKNOWN }
    if (command.ins === INS_GET_RESPONSE) {
      const next = this.#pendingPieces.shift()
      return next ?? { data: new Uint8Array(0), sw: SW_UNKNOWN }
    }
    if (command.ins !== INS_PAYMENT_REQUEST) return { data: new Uint8Array(0), sw: SW_INS_NOT_SUPPORTED }
    if ((command.cla & ~CLA_CHAINING) !== CLA_PROPRIETARY) return { data: new Uint8Array(0), sw: SW_CLA_NOT_SUPPORTED }
    let whole: CommandApdu | undefined
    try {
      whole = this.#assembler.push(command)
    } catch (error) {
      if (error instanceof ProtocolError) return { data: new Uint8Array(0), sw: SW_WRONG_DATA }
      throw error
    }
    if (whole === undefined) return { data: new Uint8Array(0), sw: SW_OK }
    return this.#pay(whole.data)
  }

  #pay(requestBytes: Uint8Array): ResponseApdu {
    let encoded: Uint8Array
    try {
      const request = paymentRequestCodec.decode(requestBytes)
      encoded = paymentResponseCodec.encode(this.#wallet.authorize(request))
    } catch (error) {
      if (error instanceof ProtocolError) return { data: new Uint8Array(0), sw: SW_WRONG_DATA }
      if (error instanceof PhoneDeclined) return { data: new Uint8Array(0), sw: SW_CONDITIONS_NOT_SATISFIED }
      throw error
    }
    const [first, ...rest] = chainResponse(encoded, SW_OK, this.#chunk_bytes_max)
    this.#pendingPieces = rest
    return first!
  }
}

function statusOnly(sw: number): Uint8Array {
  return encodeResponseApdu({ data: new Uint8Array(0), sw })
}
