// The test vectors of docs/phone-test-vectors.json, for whoever writes the customer's phone app:
// keys, a voucher, two payments (request, signed authorization, the phone's answer) and the APDUs
// and BLE chunks that carry them, all made by the project's own codecs, its PN532 driver and
// emulator and its reference HCE phone, from a fixed seed. `node dist/simulator/phone-vectors.js`
// rewrites the file; test/simulator/phone-vectors.test.ts checks the file equals what this makes.

import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { MockBinding } from '@serialport/binding-mock'
import {
  CLA_PROPRIETARY, INS_PAYMENT_REQUEST, PAYALL_AID_HEX, encodeCommandApdu, payAllAid, selectAid, selectPayAll,
} from '../protocol/apdu'
import { fromHex, toBase64, toHex } from '../protocol/bytes'
import { DAY_MS, HOUR_MS, ManualClock } from '../protocol/clock'
import { authorizationCodec, transferIdOf, type Authorization } from '../protocol/messages/authorization'
import { paymentRequestCodec, type PaymentRequest } from '../protocol/messages/payment-request'
import { paymentResponseCodec } from '../protocol/messages/payment-response'
import { voucherCodec, type Voucher } from '../protocol/messages/voucher'
import { currencyByCode } from '../protocol/money'
import { nodeEd25519 } from '../protocol/signature/node'
import {
  ATT_MTU_DEFAULT, frameChunks, PAYALL_REQUEST_CHARACTERISTIC_UUID, PAYALL_RESPONSE_CHARACTERISTIC_UUID, PAYALL_SERVICE_UUID,
  REQUEST_MAX_BYTES, RESPONSE_MAX_BYTES,
} from '../hardware/ble/payall-service'
import { NfcPhoneLink } from '../hardware/nfc/nfc-phone-link'
import { SeededRandom } from './fleet/seeded-random'
import { HcePhone, type HcePhoneOptions } from './nfc/hce-phone'
import type { FieldTarget } from './nfc/pn532-emulator'
import { openSimulatedReader } from './nfc/simulated-reader'
import { VirtualPhone } from './phone'

export const PHONE_VECTORS_FILE = join('docs', 'phone-test-vectors.json')
const SEED = 'phone-test-vectors'
const GATEWAY_EUI = '70B3D57ED0001234'
const MERCHANT_NAME = 'Boutique Awa'
const CURRENCY = 'EUR'
const ISSUED_AT_MS = Date.UTC(2026, 0, 15, 9, 0, 0)
/** A larger MTU phones commonly negotiate (Android asks for 517, many links settle at 185). */
const ATT_MTU_NEGOTIATED = 185

/** One APDU exchanged over the air, as hex: what the reader sent and what the phone answered. */
export interface ApduExchange {
  readonly command: string
  readonly response: string
}

/** Runs `pay` through the real PN532 driver and its emulator, recording the APDUs the phone sees. */
async function overTheAir(
  wallet: VirtualPhone, request: Uint8Array, phoneOptions: HcePhoneOptions, chunk_bytes_max: number | undefined,
): Promise<{ transcript: ApduExchange[]; answer: Uint8Array }> {
  const phone = new HcePhone(wallet, phoneOptions)
  const transcript: ApduExchange[] = []
  const recording: FieldTarget = {
    processCommandApdu(apdu) {
      const response = phone.processCommandApdu(apdu)
      transcript.push({ command: toHex(apdu), response: toHex(response) })
      return response
    },
    onDeactivated: () => phone.onDeactivated(),
  }
  // The phone is in the field before the first poll and answers at once: no timer ever fires, so a clock that never moves serves.
  const clock = new ManualClock(0)
  const uids = new SeededRandom(SEED, 'pn532-uid')
  const path = `/dev/PN532-phone-vectors-${chunk_bytes_max ?? 'default'}`
  const simulated = await openSimulatedReader(path, { emulator: { random: length => uids.bytes(length), asleep: false }, clock })
  try {
    await simulated.reader.begin()
    simulated.emulator.tap(recording)
    const link = new NfcPhoneLink(simulated.reader, clock, chunk_bytes_max === undefined ? {} : { exchange: { chunkMaxBytes: chunk_bytes_max } })
    const answer = await link.exchange(request)
    return { transcript, answer }
  } finally {
    await simulated.close()
    MockBinding.reset()
  }
}

/** What the phone's reference wallet answers to single commands: each status word it uses. */
function statusWords(wallet: VirtualPhone, request: PaymentRequest): Array<ApduExchange & { readonly case: string }> {
  const cases: Array<{ case: string; commands: Uint8Array[] }> = [
    { case: 'SELECT of another AID: 6A82, as Android answers when no service registered it', commands: [encodeCommandApdu(selectAid(fromHex('A0000000041010')))] },
    {
      case: 'PAYMENT REQUEST before SELECT: 6F00',
      commands: [encodeCommandApdu({ cla: CLA_PROPRIETARY, ins: INS_PAYMENT_REQUEST, p1: 0, p2: 0, data: paymentRequestCodec.encode(request), le: 256 })],
    },
    {
      case: 'an instruction PayAll does not define, after SELECT: 6D00',
      commands: [encodeCommandApdu(selectPayAll()), encodeCommandApdu({ cla: CLA_PROPRIETARY, ins: 0xca, p1: 0, p2: 0, data: new Uint8Array(0), le: 256 })],
    },
    {
      case: 'PAYMENT REQUEST with an interindustry class (CLA 00): 6E00',
      commands: [encodeCommandApdu(selectPayAll()), encodeCommandApdu({ cla: 0x00, ins: INS_PAYMENT_REQUEST, p1: 0, p2: 0, data: paymentRequestCodec.encode(request), le: 256 })],
    },
    {
      case: 'a request that does not decode (a wrong message type byte): 6A80',
      commands: [encodeCommandApdu(selectPayAll()), encodeCommandApdu({ cla: CLA_PROPRIETARY, ins: INS_PAYMENT_REQUEST, p1: 0, p2: 0, data: Uint8Array.of(0x09, 0x01, 0x00), le: 256 })],
    },
    {
      case: 'a request the wallet will not pay (a currency it holds no voucher for): 6985',
      commands: [encodeCommandApdu(selectPayAll()), encodeCommandApdu({
        cla: CLA_PROPRIETARY, ins: INS_PAYMENT_REQUEST, p1: 0, p2: 0, le: 256,
        data: paymentRequestCodec.encode({ ...request, currency: 'XOF', amountMinor: 1_000 }),
      })],
    },
  ]
  return cases.map(({ case: name, commands }) => {
    const phone = new HcePhone(wallet)
    let last: ApduExchange | undefined
    for (const command of commands) last = { command: toHex(command), response: toHex(phone.processCommandApdu(command)) }
    return { case: name, ...last! }
  })
}

function voucherJson(voucher: Voucher) {
  return {
    fields: {
      voucherId: toHex(voucher.voucherId),
      accountRef: toHex(voucher.accountRef),
      devicePublicKey: toHex(voucher.devicePublicKey),
      currency: voucher.currency,
      currencyNumeric: currencyByCode(voucher.currency).numeric,
      limitMinor: voucher.limitMinor,
      issuedAtMs: voucher.issuedAtMs,
      expiresAtMs: voucher.expiresAtMs,
    },
    signedBytes: toHex(voucherCodec.encodeUnsigned(voucher)),
    signature: toHex(voucher.signature),
    encoded: toHex(voucherCodec.encode(voucher)),
    base64: toBase64(voucherCodec.encode(voucher)),
  }
}

function requestJson(request: PaymentRequest) {
  return {
    fields: {
      gatewayEui: request.gatewayEui,
      amountMinor: request.amountMinor,
      currency: request.currency,
      currencyNumeric: currencyByCode(request.currency).numeric,
      nonce: toHex(request.nonce),
      timeMs: request.timeMs,
      merchantName: request.merchantName,
    },
    encoded: toHex(paymentRequestCodec.encode(request)),
  }
}

function authorizationJson(authorization: Authorization) {
  return {
    fields: {
      voucherId: toHex(authorization.voucherId),
      seq: authorization.seq,
      cumulativeMinor: authorization.cumulativeMinor,
      amountMinor: authorization.amountMinor,
      currency: authorization.currency,
      gatewayEui: authorization.gatewayEui,
      nonce: toHex(authorization.nonce),
      timeMs: authorization.timeMs,
    },
    signedBytes: toHex(authorizationCodec.encodeUnsigned(authorization)),
    signature: toHex(authorization.signature),
    encoded: toHex(authorizationCodec.encode(authorization)),
    transferId: toHex(transferIdOf(authorization)),
  }
}

function bleJson(request: Uint8Array, response: Uint8Array, mtu: number) {
  return {
    mtu,
    requestWrites: frameChunks(request, mtu, REQUEST_MAX_BYTES).map(chunk => toHex(chunk)),
    responseNotifications: frameChunks(response, mtu, RESPONSE_MAX_BYTES).map(chunk => toHex(chunk)),
  }
}

/** The vectors, made afresh: the same every time. */
export async function phoneTestVectors() {
  const random = new SeededRandom(SEED)
  const hub = nodeEd25519.keyPairFromSeed(random.fork('hub-key').bytes(32))
  const device = nodeEd25519.keyPairFromSeed(random.fork('phone-key').bytes(32))
  const voucher = voucherCodec.sign({
    voucherId: random.fork('voucher-id').bytes(16),
    accountRef: random.fork('account-ref').bytes(16),
    devicePublicKey: device.publicKey,
    currency: CURRENCY,
    limitMinor: 5_000,
    issuedAtMs: ISSUED_AT_MS,
    expiresAtMs: ISSUED_AT_MS + 7 * DAY_MS,
  }, hub.secretKey, nodeEd25519)
  const wallet = new VirtualPhone(device, nodeEd25519)
  wallet.addVoucher(voucher)
  const nonces = random.fork('nonces')

  // The first payment as a gateway sends it; the second over a reader that cuts commands into
  // 32-byte links, to a phone that answers in 128-byte pieces: chaining both ways.
  const shapes = [
    { amountMinor: 1_250, after_ms: 2 * HOUR_MS, chunkMaxBytes: undefined, phone: {}, note: 'as a gateway sends it: the request in one APDU, the answer in two (61xx, then GET RESPONSE)' },
    { amountMinor: 300, after_ms: 3 * HOUR_MS, chunkMaxBytes: 32, phone: { responseChunkMaxBytes: 128 }, note: 'command chaining (32-byte links, CLA 90 on all but the last) and a phone that answers 128-byte pieces' },
  ]
  const payments = []
  for (const shape of shapes) {
    const request: PaymentRequest = {
      gatewayEui: GATEWAY_EUI, amountMinor: shape.amountMinor, currency: CURRENCY, nonce: nonces.bytes(16),
      timeMs: ISSUED_AT_MS + shape.after_ms, merchantName: MERCHANT_NAME,
    }
    const requestBytes = paymentRequestCodec.encode(request)
    const { transcript, answer } = await overTheAir(wallet, requestBytes, shape.phone, shape.chunkMaxBytes)
    const { authorization } = paymentResponseCodec.decode(answer)
    payments.push({
      note: shape.note,
      request: requestJson(request),
      authorization: authorizationJson(authorization),
      response: { encoded: toHex(answer) },
      nfc: transcript,
      ble: [bleJson(requestBytes, answer, ATT_MTU_DEFAULT), bleJson(requestBytes, answer, ATT_MTU_NEGOTIATED)],
    })
  }
  const firstRequest = paymentRequestCodec.decode(fromHex(payments[0]!.request.encoded))

  return {
    about: 'PayAll phone protocol test vectors (docs/phone-protocol.md). Bytes are lowercase hex unless named base64. '
      + 'Made by simulator/phone-vectors.ts from a fixed seed; test/simulator/phone-vectors.test.ts checks them.',
    keys: {
      hub: { seed: toHex(hub.secretKey), publicKey: toHex(hub.publicKey), publicKeyBase64: toBase64(hub.publicKey) },
      phone: { seed: toHex(device.secretKey), publicKey: toHex(device.publicKey), publicKeyBase64: toBase64(device.publicKey) },
    },
    nfc: { aid: PAYALL_AID_HEX.toLowerCase(), select: toHex(encodeCommandApdu(selectAid(payAllAid()))) },
    ble: {
      service: PAYALL_SERVICE_UUID, requestCharacteristic: PAYALL_REQUEST_CHARACTERISTIC_UUID,
      responseCharacteristic: PAYALL_RESPONSE_CHARACTERISTIC_UUID,
    },
    voucher: voucherJson(voucher),
    payments,
    statusWords: statusWords(wallet, firstRequest),
  }
}

export type PhoneTestVectors = Awaited<ReturnType<typeof phoneTestVectors>>

/** The file's text: two-space JSON and a final newline. */
export function phoneVectorsText(vectors: PhoneTestVectors): string {
  return `${JSON.stringify(vectors, null, 2)}\n`
}

if (require.main === module) {
  phoneTestVectors().then(vectors => {
    writeFileSync(PHONE_VECTORS_FILE, phoneVectorsText(vectors))
    process.stdout.write(`wrote ${PHONE_VECTORS_FILE}\n`)
  }, (error: unknown) => {
    process.stderr.write(`phone-vectors: ${(error as Error).stack ?? String(error)}\n`)
    process.exitCode = 1
  })
}
