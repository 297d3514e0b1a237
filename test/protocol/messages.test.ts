import t from 'tap'
import fc from 'fast-check'
import * as arb from '../helpers/arbitraries'
import { byteMutation, expectEveryBitFlipRefused, expectFramingErrors, expectOnlyProtocolErrors, mutateBytes } from '../helpers/mutations'
import { REASONS } from '../../protocol/reasons'
import { nodeEd25519 } from '../../protocol/signature/node'
import type { MessageCodec, SignedMessageCodec } from '../../protocol/messages/define'
import { voucherCodec } from '../../protocol/messages/voucher'
import { paymentRequestCodec } from '../../protocol/messages/payment-request'
import { authorizationCodec, transferIdOf } from '../../protocol/messages/authorization'
import { paymentResponseCodec } from '../../protocol/messages/payment-response'
import { transferRecordCodec, GENESIS_HASH, PaymentMode, recordHash } from '../../protocol/messages/transfer-record'
import { chainHeadCodec } from '../../protocol/messages/chain-head'
import { recordBatchCodec, BATCH_RECORDS_MAX, decodeRecordBatchFrames } from '../../protocol/messages/record-batch'
import { ackCodec } from '../../protocol/messages/ack'
import { revocationListCodec } from '../../protocol/messages/revocation-list'
import { revocationDeltaCodec } from '../../protocol/messages/revocation-delta'
import { revocationCatchUpRequestCodec } from '../../protocol/messages/revocation-catch-up'
import { gatewayPresenceCodec } from '../../protocol/messages/gateway-presence'
import { riskConfigCodec } from '../../protocol/messages/risk-config'
import { updateKeyCodec } from '../../protocol/messages/update-key'
import { updateManifestCodec } from '../../protocol/messages/update-manifest'
import { commitmentFrameCodec, LORA_PAYLOAD_BYTES_MAX } from '../../protocol/messages/commitment-frame'
import {
  onlineAuthorizationRequestCodec, onlineAuthorizationResponseCodec,
} from '../../protocol/messages/online-authorization'
import { refundRequestCodec, refundResponseCodec } from '../../protocol/messages/refund'
import { onlineVoidRequestCodec, onlineVoidResponseCodec } from '../../protocol/messages/online-void'
import { appendRecord, CHAIN_START } from '../../protocol/chain'
import type { TransferRecord } from '../../protocol/messages/transfer-record'

const ed = nodeEd25519
const hubKeys = ed.keyPairFromSeed(new Uint8Array(32).fill(7))
const phoneKeys = ed.keyPairFromSeed(new Uint8Array(32).fill(9))
const gatewayKeys = ed.keyPairFromSeed(new Uint8Array(32).fill(11))
const SEED = 20261127

function signedArbitrary<T>(codec: SignedMessageCodec<T>, body: fc.Arbitrary<T>, secretKey: Uint8Array) {
  return body.map(value => codec.sign(value, secretKey, ed))
}

const voucher = signedArbitrary(voucherCodec, arb.voucherBody, hubKeys.secretKey)
const authorization = signedArbitrary(authorizationCodec, arb.authorizationBody, phoneKeys.secretKey)
const record = fc
  .record({ mode: arb.paymentMode, gatewaySeq: fc.integer({ min: 1, max: 0xffffffff }), previousHash: arb.bytes(32), authorization })

/** A well-formed batch: consecutive linked records for one gateway, closed by a signed head. */
function buildBatch(gatewayEui: string, authorizations: Array<ReturnType<typeof authorizationCodec.sign>>) {
  let position = CHAIN_START
  const records: TransferRecord[] = []
  for (const auth of authorizations) {
    const signed = authorizationCodec.sign({ ...auth, gatewayEui }, phoneKeys.secretKey, ed)
    const next = appendRecord(position, signed, PaymentMode.Offline)
    records.push(next.record)
    position = next.position
  }
  const head = chainHeadCodec.sign(
    { gatewayEui, gatewaySeq: position.gatewaySeq, headHash: position.hash, timeMs: 1_700_000_000_000 },
    gatewayKeys.secretKey,
    ed,
  )
  return { gatewayEui, records, head }
}

const batch = fc
  .tuple(arb.eui, fc.array(authorization, { minLength: 1, maxLength: 4 }))
  .map(([gatewayEui, auths]) => buildBatch(gatewayEui, auths))

interface Case {
  codec: MessageCodec<any>
  value: fc.Arbitrary<any>
  publicKey?: Uint8Array
}

const cases: Case[] = [
  { codec: voucherCodec, value: voucher, publicKey: hubKeys.publicKey },
  { codec: paymentRequestCodec, value: arb.paymentRequest },
  { codec: authorizationCodec, value: authorization, publicKey: phoneKeys.publicKey },
  { codec: paymentResponseCodec, value: fc.record({ voucher, authorization }) },
  { codec: transferRecordCodec, value: record },
  {
    codec: chainHeadCodec,
    value: signedArbitrary(chainHeadCodec, arb.chainHeadBody, gatewayKeys.secretKey),
    publicKey: gatewayKeys.publicKey,
  },
  { codec: recordBatchCodec, value: batch },
  { codec: ackCodec, value: signedArbitrary(ackCodec, arb.ackBody, hubKeys.secretKey), publicKey: hubKeys.publicKey },
  {
    codec: revocationListCodec,
    value: signedArbitrary(revocationListCodec, arb.revocationListBody, hubKeys.secretKey),
    publicKey: hubKeys.publicKey,
  },
  {
    codec: revocationDeltaCodec,
    value: signedArbitrary(revocationDeltaCodec, arb.revocationDeltaBody, hubKeys.secretKey),
    publicKey: hubKeys.publicKey,
  },
  { codec: revocationCatchUpRequestCodec, value: fc.record({ gatewayEui: arb.eui, serial: arb.u32 }) },
  {
    codec: gatewayPresenceCodec,
    value: signedArbitrary(gatewayPresenceCodec, fc.record({ gatewayEui: arb.eui, online: fc.boolean(), connectedAtMs: arb.timeMs }), gatewayKeys.secretKey),
    publicKey: gatewayKeys.publicKey,
  },
  {
    codec: updateKeyCodec,
    value: signedArbitrary(updateKeyCodec, fc.record({ serial: arb.u32, issuedAtMs: arb.timeMs, publicKey: arb.bytes(32) }), hubKeys.secretKey),
    publicKey: hubKeys.publicKey,
  },
  {
    codec: updateManifestCodec,
    value: signedArbitrary(updateManifestCodec, fc.record({
      version: fc.tuple(fc.nat(999), fc.nat(999), fc.nat(999)).map(parts => parts.join('.')),
      packageSha256: arb.bytes(32), packageBytes: arb.u32, issuedAtMs: arb.timeMs,
    }), gatewayKeys.secretKey),
    publicKey: gatewayKeys.publicKey,
  },
  {
    codec: riskConfigCodec,
    value: signedArbitrary(riskConfigCodec, arb.riskConfigBody, hubKeys.secretKey),
    publicKey: hubKeys.publicKey,
  },
  { codec: commitmentFrameCodec, value: arb.commitmentFrame },
  { codec: onlineAuthorizationRequestCodec, value: fc.record({ correlationId: arb.bytes(16), authorization }) },
  {
    codec: onlineAuthorizationResponseCodec,
    value: signedArbitrary(
      onlineAuthorizationResponseCodec,
      fc.record({
        correlationId: arb.bytes(16),
        transferId: arb.bytes(32),
        approved: fc.boolean(),
        reason: arb.reason,
        timeMs: arb.timeMs,
      }),
      hubKeys.secretKey,
    ),
    publicKey: hubKeys.publicKey,
  },
  {
    codec: refundRequestCodec,
    value: signedArbitrary(
      refundRequestCodec,
      fc.record({
        refundId: arb.bytes(16),
        transferId: arb.bytes(32),
        gatewayEui: arb.eui,
        amountMinor: arb.amountMinor,
        currency: arb.currency,
        timeMs: arb.timeMs,
      }),
      gatewayKeys.secretKey,
    ),
    publicKey: gatewayKeys.publicKey,
  },
  {
    codec: refundResponseCodec,
    value: signedArbitrary(
      refundResponseCodec,
      fc.record({
        refundId: arb.bytes(16),
        transferId: arb.bytes(32),
        approved: fc.boolean(),
        reason: arb.reason,
        amountMinor: fc.nat(),
        refundedMinor: fc.nat(),
        timeMs: arb.timeMs,
      }),
      hubKeys.secretKey,
    ),
    publicKey: hubKeys.publicKey,
  },
  {
    codec: onlineVoidRequestCodec,
    value: signedArbitrary(
      onlineVoidRequestCodec,
      fc.record({ transferId: arb.bytes(32), gatewayEui: arb.eui, timeMs: arb.timeMs }),
      gatewayKeys.secretKey,
    ),
    publicKey: gatewayKeys.publicKey,
  },
  {
    codec: onlineVoidResponseCodec,
    value: signedArbitrary(
      onlineVoidResponseCodec,
      fc.record({ transferId: arb.bytes(32), voided: fc.boolean(), reason: arb.reason, reversedMinor: fc.nat(), timeMs: arb.timeMs }),
      hubKeys.secretKey,
    ),
    publicKey: hubKeys.publicKey,
  },
]

for (const { codec, value, publicKey } of cases) {
  t.test(codec.name, async t => {
    t.test('round-trips every value and encodes it canonically', async t => {
      fc.assert(
        fc.property(value, message => {
          const encoded = codec.encode(message)
          if (encoded.length > codec.size_max) throw new Error('encoding exceeds size_max')
          const decoded = codec.decode(encoded)
          t.same(decoded, message)
          const again = codec.encode(decoded)
          if (Buffer.compare(again, encoded) !== 0) throw new Error('re-encoding differs')
        }),
        { seed: SEED, numRuns: 100 },
      )
    })

    t.test('decoding random bytes throws only ProtocolError', async () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 400 }), input => expectOnlyProtocolErrors(codec, input)),
        { seed: SEED, numRuns: 300 },
      )
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 200 }), input =>
          expectOnlyProtocolErrors(codec, Uint8Array.from([codec.type, 1, ...input]))),
        { seed: SEED, numRuns: 300 },
      )
    })

    t.test('decoding mutated messages throws only ProtocolError or yields a canonical message', async () => {
      fc.assert(
        fc.property(value, fc.array(byteMutation, { minLength: 1, maxLength: 3 }), (message, mutations) => {
          let input = codec.encode(message)
          for (const m of mutations) input = mutateBytes(input, m)
          expectOnlyProtocolErrors(codec, input)
        }),
        { seed: SEED, numRuns: 300 },
      )
    })

    t.test('rejects truncation, trailing bytes, other types and versions with typed codes', async t => {
      const [message] = fc.sample(value, { seed: SEED, numRuns: 1 })
      expectFramingErrors(t, codec, codec.encode(message))
    })

    if (publicKey !== undefined) {
      const signedCodec = codec as SignedMessageCodec<unknown>
      t.test('a flipped bit anywhere fails decoding or verification', async t => {
        const [message] = fc.sample(value, { seed: SEED, numRuns: 1 })
        t.ok(signedCodec.verify(message, publicKey, ed), 'the original verifies')
        const checked = expectEveryBitFlipRefused(t, signedCodec, codec.encode(message), publicKey, ed)
        t.ok(checked > 0, `${checked} decodable flips all failed verification`)
        t.notOk(signedCodec.verify(message, gatewayKeys.publicKey === publicKey ? hubKeys.publicKey : gatewayKeys.publicKey, ed),
          'another key does not verify')
      })
    }
  })
}

t.test('size budgets', async t => {
  const [auth] = fc.sample(authorization, { seed: SEED, numRuns: 1 })
  const recordBytes = transferRecordCodec.encode({
    mode: PaymentMode.Offline, gatewaySeq: 1, previousHash: GENESIS_HASH, authorization: auth!,
  })
  t.ok(recordBytes.length <= 200, `a signed TransferRecord is ${recordBytes.length} bytes (budget 200)`)
  t.equal(transferRecordCodec.size_max, recordBytes.length, 'records have one fixed size')
  t.ok(commitmentFrameCodec.size_max <= LORA_PAYLOAD_BYTES_MAX,
    `a CommitmentFrame is at most ${commitmentFrameCodec.size_max} bytes (budget ${LORA_PAYLOAD_BYTES_MAX})`)
})

t.test('a transfer id names the payment, not its signature or chain position', async t => {
  const [auth] = fc.sample(arb.authorizationBody, { seed: SEED, numRuns: 1 })
  const a = authorizationCodec.sign(auth!, phoneKeys.secretKey, ed)
  const id = transferIdOf(a)
  t.equal(id.length, 32)
  const otherSignature: typeof a = { ...a, signature: new Uint8Array(64) }
  t.same(transferIdOf(otherSignature), id, 'independent of the signature bytes')
  t.notSame(transferIdOf({ ...a, amountMinor: a.amountMinor + 1 > a.cumulativeMinor ? a.amountMinor : a.amountMinor + 1, seq: a.seq ^ 1 }), id)
})

t.test('a batch refuses records that do not chain', async t => {
  const auths = fc.sample(authorization, { seed: SEED, numRuns: 3 })
  const good = buildBatch('0011223344556677', auths)
  t.ok(recordBatchCodec.decode(recordBatchCodec.encode(good)))
  const gap = { ...good, records: [good.records[0]!, good.records[2]!] }
  t.throws(() => recordBatchCodec.encode(gap), { code: 'CHAIN_GAP' })
  const edited = {
    ...good,
    records: [{ ...good.records[0]!, mode: PaymentMode.Online }, ...good.records.slice(1)],
  }
  t.throws(() => recordBatchCodec.encode(edited), { code: 'CHAIN_TAMPERED' })
  const wrongHead = { ...good, head: { ...good.head, gatewaySeq: 2 } }
  t.throws(() => recordBatchCodec.encode(wrongHead), { code: 'CHAIN_TAMPERED' })
  t.throws(() => recordBatchCodec.encode({ ...good, records: [] }), { code: 'TOO_MANY' })
  const tooMany = { ...good, records: new Array(BATCH_RECORDS_MAX + 1).fill(good.records[0]) }
  t.throws(() => recordBatchCodec.encode(tooMany), { code: 'TOO_MANY' })
})

t.test('encoders refuse values outside their fields', async t => {
  const [body] = fc.sample(arb.voucherBody, { seed: SEED, numRuns: 1 })
  t.throws(() => voucherCodec.encodeUnsigned({ ...body!, limitMinor: 1.5 }), { code: 'MONEY_NOT_INTEGER' })
  t.throws(() => voucherCodec.encodeUnsigned({ ...body!, limitMinor: 0 }), { code: 'OUT_OF_RANGE' })
  t.throws(() => voucherCodec.encodeUnsigned({ ...body!, limitMinor: 2 ** 53 }), { code: 'MONEY_OVERFLOW' })
  t.throws(() => voucherCodec.encodeUnsigned({ ...body!, currency: 'XXX' }), { code: 'UNKNOWN_CURRENCY' })
  t.throws(() => voucherCodec.encodeUnsigned({ ...body!, voucherId: new Uint8Array(15) }), { code: 'BAD_LENGTH' })
  t.throws(() => voucherCodec.encodeUnsigned({ ...body!, issuedAtMs: -1 }), { code: 'OUT_OF_RANGE' })
  const [auth] = fc.sample(arb.authorizationBody, { seed: SEED, numRuns: 1 })
  t.throws(() => authorizationCodec.encodeUnsigned({ ...auth!, cumulativeMinor: auth!.amountMinor - 1 || 0 }))
  const refund = {
    refundId: new Uint8Array(16), transferId: new Uint8Array(32), approved: true, reason: REASONS[0]!,
    amountMinor: 500, refundedMinor: 500, timeMs: 0,
  }
  t.throws(() => refundResponseCodec.encodeUnsigned({ ...refund, amountMinor: 1.5 }), { code: 'MONEY_NOT_INTEGER' })
  t.throws(() => refundResponseCodec.encodeUnsigned({ ...refund, refundedMinor: -500 }), { code: 'MONEY_NEGATIVE' })
})

t.test('decoding a batch with its frames keeps the exact bytes of each record', async t => {
  const [good] = fc.sample(batch, { seed: SEED, numRuns: 1 })
  const encoded = recordBatchCodec.encode(good!)
  const { batch: decoded, frames } = decodeRecordBatchFrames(encoded)
  t.same(decoded, recordBatchCodec.decode(encoded))
  decoded.records.forEach((record, i) => {
    t.same(frames[i]!.bytes, transferRecordCodec.encode(record))
    t.same(frames[i]!.hash, recordHash(record))
    t.same(frames[i]!.authorizationUnsigned, authorizationCodec.encodeUnsigned(record.authorization))
  })
  t.throws(() => decodeRecordBatchFrames(encoded.slice(0, -1)), { code: 'TRUNCATED' })
  t.throws(() => decodeRecordBatchFrames(Uint8Array.from([...encoded, 0])), { code: 'TRAILING_BYTES' })
})

t.test('a gateway presence is 83 bytes, signed by the gateway, and its online byte is 0 or 1, nothing else', async t => {
  const presence = gatewayPresenceCodec.sign({ gatewayEui: '70B3D57ED0000001', online: true, connectedAtMs: 1_700_000_000_000 }, gatewayKeys.secretKey, ed)
  const bytes = gatewayPresenceCodec.encode(presence)
  t.equal(bytes.length, 83)
  t.ok(gatewayPresenceCodec.verify(gatewayPresenceCodec.decode(bytes), gatewayKeys.publicKey, ed))
  t.notOk(gatewayPresenceCodec.verify({ ...presence, online: false }, gatewayKeys.publicKey, ed), 'the signature covers online')
  const two = Uint8Array.from(bytes)
  two[2 + 8] = 2
  t.throws(() => gatewayPresenceCodec.decode(two), { code: 'BAD_VALUE' })
})
