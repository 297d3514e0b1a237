// docs/phone-test-vectors.json never drifts from the code: made afresh, it is the committed file
// byte for byte; and what it holds verifies on its own terms (signatures checked by a second
// Ed25519 implementation, ids by node:crypto, APDUs and BLE chunks parsed and reassembled).

import t from 'tap'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ed25519 as noble } from '@noble/curves/ed25519'
import {
  CLA_CHAINING, CommandAssembler, SW_OK, decodeCommandApdu, decodeResponseApdu, isMoreData, moreDataLength,
} from '../../protocol/apdu'
import { concatBytes, fromHex, toHex } from '../../protocol/bytes'
import { authorizationCodec } from '../../protocol/messages/authorization'
import { paymentRequestCodec } from '../../protocol/messages/payment-request'
import { paymentResponseCodec } from '../../protocol/messages/payment-response'
import { voucherCodec } from '../../protocol/messages/voucher'
import { tweetnaclEd25519 } from '../../protocol/signature/tweetnacl'
import { FrameAssembler, REQUEST_MAX_BYTES, RESPONSE_MAX_BYTES } from '../../hardware/ble/payall-service'
import { checkAnswer } from '../../terminal/risk'
import { PHONE_VECTORS_FILE, phoneTestVectors, phoneVectorsText, type PhoneTestVectors } from '../../simulator/phone-vectors'

const committedText = readFileSync(join(__dirname, '..', '..', PHONE_VECTORS_FILE), 'utf8')
const committed = JSON.parse(committedText) as PhoneTestVectors

t.test('the committed vectors are exactly what the code makes today (node dist/simulator/phone-vectors.js rewrites them)', async t => {
  t.equal(phoneVectorsText(await phoneTestVectors()), committedText)
})

t.test('the keys come from their seeds and the voucher is the hub\'s, for the phone\'s key', async t => {
  const { keys, voucher } = committed
  t.equal(toHex(tweetnaclEd25519.keyPairFromSeed(fromHex(keys.hub.seed)).publicKey), keys.hub.publicKey)
  t.equal(toHex(tweetnaclEd25519.keyPairFromSeed(fromHex(keys.phone.seed)).publicKey), keys.phone.publicKey)
  t.equal(voucher.encoded, voucher.signedBytes + voucher.signature, 'a signed message is its signed bytes then the signature')
  t.equal(Buffer.from(voucher.base64, 'base64').toString('hex'), voucher.encoded)
  t.ok(noble.verify(fromHex(voucher.signature), fromHex(voucher.signedBytes), fromHex(keys.hub.publicKey)), 'the hub signed it')
  t.notOk(noble.verify(fromHex(voucher.signature), fromHex(voucher.signedBytes), fromHex(keys.phone.publicKey)))
  const decoded = voucherCodec.decode(fromHex(voucher.encoded))
  t.equal(toHex(decoded.devicePublicKey), keys.phone.publicKey)
  t.equal(toHex(decoded.voucherId), voucher.fields.voucherId)
  t.equal(decoded.limitMinor, voucher.fields.limitMinor)
  t.equal(decoded.expiresAtMs, voucher.fields.expiresAtMs)
})

t.test('each authorization is the phone\'s signature over its fields, and its transfer id the SHA-256 of its signed bytes', async t => {
  const hubPublicKey = fromHex(committed.keys.hub.publicKey)
  let cumulative_minor = 0
  for (const [index, payment] of committed.payments.entries()) {
    const { authorization, request } = payment
    t.equal(authorization.encoded, authorization.signedBytes + authorization.signature)
    t.ok(noble.verify(fromHex(authorization.signature), fromHex(authorization.signedBytes), fromHex(committed.keys.phone.publicKey)),
      `payment ${index + 1}: the phone signed it`)
    t.equal(createHash('sha256').update(fromHex(authorization.signedBytes)).digest('hex'), authorization.transferId)
    const decoded = authorizationCodec.decode(fromHex(authorization.encoded))
    cumulative_minor += request.fields.amountMinor
    t.same(
      [decoded.seq, decoded.cumulativeMinor, decoded.amountMinor, toHex(decoded.nonce), decoded.gatewayEui, decoded.timeMs],
      [index + 1, cumulative_minor, request.fields.amountMinor, request.fields.nonce, request.fields.gatewayEui, request.fields.timeMs],
      'seq grows by one, cumulative adds the amount, the rest echoes the request',
    )
    const sent = paymentRequestCodec.decode(fromHex(request.encoded))
    const response = paymentResponseCodec.decode(fromHex(payment.response.encoded))
    t.same(checkAnswer({
      request: sent, requestOpen: true, response, hubPublicKey, clockSkewMaxMs: 0, revoked: false,
      seen: index === 0 ? undefined : { highestSeq: index, cumulativeMinor: cumulative_minor - request.fields.amountMinor, consecutiveOffline: 0 },
      nowMs: sent.timeMs, ed25519: tweetnaclEd25519,
    }), { ok: true }, `payment ${index + 1}: the gateway's checks pass`)
  }
})

t.test('the NFC transcripts parse as ISO 7816-4 and carry the request and the answer whole', async t => {
  for (const [index, payment] of committed.payments.entries()) {
    const [select, ...rest] = payment.nfc
    t.equal(select!.command, committed.nfc.select)
    t.same(decodeResponseApdu(fromHex(select!.response)), { data: new Uint8Array(0), sw: SW_OK })
    const assembler = new CommandAssembler()
    const answers: Uint8Array[] = []
    let request: Uint8Array | undefined
    let finalSw: number | undefined
    for (const { command, response } of rest) {
      const apdu = decodeCommandApdu(fromHex(command))
      const answer = decodeResponseApdu(fromHex(response))
      if (apdu.ins === 0xc0) {
        t.equal(apdu.le, moreDataLength(finalSw!), 'GET RESPONSE asks for what 61xx announced')
      } else {
        const whole = assembler.push(apdu)
        if (whole === undefined) {
          t.equal(apdu.cla & CLA_CHAINING, CLA_CHAINING, 'a link before the last has the chaining bit')
          t.same(answer, { data: new Uint8Array(0), sw: SW_OK }, 'and is answered 9000 alone')
          continue
        }
        request = whole.data
      }
      answers.push(answer.data)
      finalSw = answer.sw
    }
    t.equal(toHex(request!), payment.request.encoded, `payment ${index + 1}: the links make the request`)
    t.equal(finalSw, SW_OK)
    t.equal(toHex(concatBytes(...answers)), payment.response.encoded, `payment ${index + 1}: the pieces make the answer`)
  }
})

t.test('each 61xx piece announces the bytes still to come and the next GET RESPONSE asks for them', async t => {
  for (const payment of committed.payments) {
    const pieces = payment.nfc.slice(1).map(({ command, response }) => ({ command: decodeCommandApdu(fromHex(command)), response: decodeResponseApdu(fromHex(response)) }))
    const total_bytes = fromHex(payment.response.encoded).length
    let received_bytes = 0
    for (const [index, { response }] of pieces.entries()) {
      if (response.data.length === 0 && response.sw === SW_OK && index < pieces.length - 1) continue
      received_bytes += response.data.length
      if (!isMoreData(response.sw)) break
      t.equal(moreDataLength(response.sw), Math.min(256, total_bytes - received_bytes))
      t.equal(pieces[index + 1]!.command.ins, 0xc0)
      t.equal(pieces[index + 1]!.command.le, moreDataLength(response.sw))
    }
    t.equal(received_bytes, total_bytes)
  }
})

t.test('the BLE chunks fit the MTU and reassemble into the request and the answer', async t => {
  for (const payment of committed.payments) {
    for (const link of payment.ble) {
      for (const chunk of [...link.requestWrites, ...link.responseNotifications]) t.ok(chunk.length / 2 <= link.mtu - 3, `at most MTU - 3 bytes (${link.mtu})`)
      const requests = new FrameAssembler(REQUEST_MAX_BYTES)
      const request = link.requestWrites.map(chunk => requests.push(fromHex(chunk))).at(-1)
      t.equal(toHex(request!), payment.request.encoded)
      const responses = new FrameAssembler(RESPONSE_MAX_BYTES)
      const response = link.responseNotifications.map(chunk => responses.push(fromHex(chunk))).at(-1)
      t.equal(toHex(response!), payment.response.encoded)
      t.equal(link.requestWrites[0]!.slice(0, 4), (payment.request.encoded.length / 2).toString(16).padStart(4, '0'), 'a 2-byte big-endian length first')
    }
  }
})

t.test('each status-word case ends with the status word it names', async t => {
  t.ok(committed.statusWords.length >= 6)
  for (const { case: name, command, response } of committed.statusWords) {
    decodeCommandApdu(fromHex(command))
    const { data, sw } = decodeResponseApdu(fromHex(response))
    t.equal(data.length, 0)
    t.equal(sw.toString(16).toUpperCase(), /: ([0-9A-F]{4})\b/.exec(name)?.[1], name)
  }
})
