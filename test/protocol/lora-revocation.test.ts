import t from 'tap'
import fc from 'fast-check'
import * as arb from '../helpers/arbitraries'
import { ProtocolError } from '../../protocol/errors'
import { nodeEd25519 } from '../../protocol/signature/node'
import { canonicalVoucherIds } from '../../protocol/messages/revocation-list'
import { LORA_PAYLOAD_BYTES_MAX } from '../../protocol/messages/commitment-frame'
import {
  FragmentReassembler, LORA_FRAGMENTS_MAX, LORA_REVOCATION_IDS_MAX, LoraRevocationKind, decodeFragment,
  fragmentMessage, loraMessageId, loraRevocationBodies, loraRevocationCodec, type LoraRevocation,
} from '../../protocol/messages/lora-revocation'

const ed = nodeEd25519
const hubKeys = ed.keyPairFromSeed(new Uint8Array(32).fill(7))
const otherKeys = ed.keyPairFromSeed(new Uint8Array(32).fill(8))
const SEED = 20261128

const body = fc.record({
  kind: fc.constantFrom(LoraRevocationKind.Added, LoraRevocationKind.Listed),
  serial: arb.u32,
  index: fc.integer({ min: 0, max: 0xffff }),
  voucherIds: fc.array(arb.bytes(16), { maxLength: LORA_REVOCATION_IDS_MAX }).map(canonicalVoucherIds),
})
const signed = body.map(value => loraRevocationCodec.sign(value, hubKeys.secretKey, ed))

function decodesOrProtocolError(decode: () => unknown): unknown {
  try {
    return decode()
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error
    return undefined
  }
}

t.test('round-trips every message canonically, within size_max', async t => {
  fc.assert(fc.property(signed, message => {
    const encoded = loraRevocationCodec.encode(message)
    if (encoded.length > loraRevocationCodec.size_max) throw new Error('encoding exceeds size_max')
    t.same(loraRevocationCodec.decode(encoded), message)
    if (Buffer.compare(loraRevocationCodec.encode(loraRevocationCodec.decode(encoded)), encoded) !== 0) {
      throw new Error('re-encoding differs')
    }
  }), { seed: SEED, numRuns: 100 })
  const [message] = fc.sample(signed, { seed: SEED, numRuns: 1 })
  t.equal(loraRevocationCodec.encode(message!)[0], 0x11, 'message type 0x11')
})

t.test('decoding random or mutated bytes throws only ProtocolError, and what decodes is canonical', async t => {
  const check = (input: Uint8Array): void => {
    const decoded = decodesOrProtocolError(() => loraRevocationCodec.decode(input)) as LoraRevocation | undefined
    if (decoded !== undefined && Buffer.compare(loraRevocationCodec.encode(decoded), input) !== 0) {
      throw new Error('non-canonical input accepted')
    }
  }
  fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), check), { seed: SEED, numRuns: 300 })
  fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), input => check(Uint8Array.from([0x11, 1, ...input]))),
    { seed: SEED, numRuns: 300 })
  fc.assert(fc.property(signed, fc.nat(), fc.integer({ min: 0, max: 7 }), (message, at, bit) => {
    const input = loraRevocationCodec.encode(message)
    input[at % input.length] ^= 1 << bit
    check(input)
  }), { seed: SEED, numRuns: 300 })
  t.pass('no other error escaped')
})

t.test('refuses unsorted ids, an unknown kind and too many ids with typed codes', async t => {
  const id = (byte: number) => new Uint8Array(16).fill(byte)
  const sign = (value: Parameters<typeof loraRevocationCodec.sign>[0]) => loraRevocationCodec.sign(value, hubKeys.secretKey, ed)
  const added = { kind: LoraRevocationKind.Added, serial: 1, index: 0 }
  t.throws(() => sign({ ...added, voucherIds: [id(2), id(1)] }), { code: 'BAD_VALUE' })
  t.throws(() => sign({ ...added, voucherIds: [id(1), id(1)] }), { code: 'BAD_VALUE' })
  t.throws(() => sign({ ...added, kind: 2 as LoraRevocationKind, voucherIds: [] }), { code: 'BAD_VALUE' })
  t.throws(() => sign({ ...added, voucherIds: Array.from({ length: 17 }, (_, i) => id(i)) }), { code: 'TOO_MANY' })
  const good = loraRevocationCodec.encode(sign({ ...added, voucherIds: [id(1)] }))
  const unknownKind = Uint8Array.from(good)
  unknownKind[2] = 2
  t.throws(() => loraRevocationCodec.decode(unknownKind), { code: 'BAD_VALUE' })
  t.throws(() => loraRevocationCodec.decode(good.slice(0, -1)), { code: 'TRUNCATED' })
  t.throws(() => loraRevocationCodec.decode(Uint8Array.from([...good, 0])), { code: 'TRAILING_BYTES' })
  t.throws(() => loraRevocationCodec.decode(Uint8Array.from([0x08, ...good.slice(1)])), { code: 'UNKNOWN_TYPE' })
})

t.test('a flipped bit anywhere fails decoding or verification; another key never verifies', async t => {
  const [message] = fc.sample(signed.filter(m => m.voucherIds.length > 0), { seed: SEED, numRuns: 1 })
  t.ok(loraRevocationCodec.verify(message!, hubKeys.publicKey, ed))
  t.notOk(loraRevocationCodec.verify(message!, otherKeys.publicKey, ed))
  const encoded = loraRevocationCodec.encode(message!)
  let checked = 0
  for (let bit = 0; bit < encoded.length * 8; bit++) {
    const flipped = Uint8Array.from(encoded)
    flipped[bit >> 3] ^= 1 << (bit & 7)
    const decoded = decodesOrProtocolError(() => loraRevocationCodec.decode(flipped)) as LoraRevocation | undefined
    if (decoded === undefined) continue
    checked++
    if (loraRevocationCodec.verify(decoded, hubKeys.publicKey, ed)) t.fail(`bit ${bit} flipped and still verified`)
  }
  t.ok(checked > 0, `${checked} decodable flips all failed verification`)
})

t.test('splits many revoked vouchers into numbered messages of one serial, however many', async t => {
  const ids = canonicalVoucherIds(Array.from({ length: 40 }, (_, i) => new Uint8Array(16).fill(i)))
  const bodies = loraRevocationBodies(LoraRevocationKind.Added, 9, ids)
  t.same(bodies.map(b => [b.kind, b.serial, b.index, b.voucherIds.length]), [[0, 9, 0, 16], [0, 9, 1, 16], [0, 9, 2, 8]])
  t.same(bodies.flatMap(b => b.voucherIds), ids)
  t.same(loraRevocationBodies(LoraRevocationKind.Added, 10, []), [], 'no ids, no message')
  const many = Array.from({ length: 300 * LORA_REVOCATION_IDS_MAX }, (_, i) => {
    const id = new Uint8Array(16)
    id[0] = i >> 8
    id[1] = i & 0xff
    return id
  })
  const listed = loraRevocationBodies(LoraRevocationKind.Listed, 11, many, 7)
  t.equal(listed.length, 300, 'past the 256 vouchers a list once stopped at')
  t.same([listed[0]!.index, listed.at(-1)!.index], [7, 306])
  t.equal(listed.reduce((sum, b) => sum + b.voucherIds.length, 0), many.length, 'every id goes')
  t.throws(() => loraRevocationBodies(LoraRevocationKind.Listed, 11, many, 0xffff), { code: 'TOO_MANY' })
})

t.test('messages that can be in flight together get distinct fragment message ids', async t => {
  const ids = new Set<number>()
  for (const kind of [LoraRevocationKind.Added, LoraRevocationKind.Listed]) {
    for (let serial = 1000; serial < 1128; serial++) {
      for (let index = 0; index < 4; index++) ids.add(loraMessageId({ kind, serial, index }))
    }
  }
  t.equal(ids.size, 2 * 128 * 4)
  t.ok([...ids].every(id => id >= 0 && id <= 0xffff), 'each fits the fragment header')
})

t.test('fragments fit one EU868 DR0 downlink and reassemble in any order, duplicates included', async t => {
  fc.assert(fc.property(signed, fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 1, max: 1 << 30 }), (message, messageId, seed) => {
    const encoded = loraRevocationCodec.encode(message)
    const fragments = fragmentMessage(encoded, messageId)
    if (fragments.some(f => f.length > LORA_PAYLOAD_BYTES_MAX)) throw new Error('a fragment exceeds 51 bytes')
    if (fragments.length > LORA_FRAGMENTS_MAX) throw new Error('too many fragments')
    // A seeded shuffle with one duplicate: the reassembler completes exactly once, on the last new fragment.
    const order = fragments.map((f, i) => ({ f, key: (seed * (i + 1) * 2654435761) % 4294967296 })).sort((a, b) => a.key - b.key).map(x => x.f)
    order.splice(1, 0, order[0]!)
    const reassembler = new FragmentReassembler()
    const completed = order.map(f => reassembler.accept(f)).filter(x => x !== undefined)
    if (completed.length !== 1 || Buffer.compare(completed[0]!, encoded) !== 0) throw new Error('reassembly failed')
    if (reassembler.messagesInProgress !== 0) throw new Error('a completed message stayed in progress')
  }), { seed: SEED, numRuns: 100 })
  t.pass('every message reassembled')
})

t.test('the reassembler is bounded and drops contradicting fragments', async t => {
  const message = new Uint8Array(200).map((_, i) => i)
  const fragments = fragmentMessage(message, 7)
  t.equal(fragments.length, Math.ceil(200 / 47))
  const reassembler = new FragmentReassembler(1000, 2)
  reassembler.accept(fragments[0]!)
  reassembler.accept(fragmentMessage(message, 8)[0]!)
  reassembler.accept(fragmentMessage(message, 9)[0]!)
  t.equal(reassembler.messagesInProgress, 2, 'the oldest message was dropped for a new one')
  for (const fragment of fragments.slice(1)) t.equal(reassembler.accept(fragment), undefined, 'message 7 was dropped')

  const strict = new FragmentReassembler()
  strict.accept(fragments[0]!)
  t.throws(() => strict.accept(fragmentMessage(message.map(b => b ^ 1), 7)[0]!), { code: 'BAD_VALUE' }, 'same index, other bytes')
  t.equal(strict.messagesInProgress, 0, 'the contradicted message is dropped')
  strict.accept(fragments[0]!)
  t.throws(() => strict.accept(fragmentMessage(new Uint8Array(10), 7)[0]!), { code: 'BAD_VALUE' }, 'another count')
  t.equal(strict.messagesInProgress, 0)
  const small = new FragmentReassembler(60)
  const big = fragmentMessage(new Uint8Array(150), 3)
  small.accept(big[0]!)
  t.throws(() => small.accept(big[1]!), { code: 'BAD_LENGTH' }, 'no message grows past its bound')
  t.throws(() => fragmentMessage(new Uint8Array(47 * LORA_FRAGMENTS_MAX + 1), 1), { code: 'TOO_MANY' })
  t.throws(() => fragmentMessage(message, 1, 4), { code: 'OUT_OF_RANGE' })
})

t.test('decoding random fragments throws only ProtocolError', async t => {
  fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 60 }), { maxLength: 20 }), inputs => {
    const reassembler = new FragmentReassembler()
    for (const input of inputs) {
      decodesOrProtocolError(() => decodeFragment(input))
      decodesOrProtocolError(() => reassembler.accept(input))
    }
  }), { seed: SEED, numRuns: 300 })
  t.throws(() => decodeFragment(Uint8Array.from([0, 1, 3, 3, 9])), { code: 'BAD_VALUE' }, 'index beyond count')
  t.throws(() => decodeFragment(Uint8Array.from([0, 1, 0, 0, 9])), { code: 'BAD_VALUE' }, 'no fragments')
  t.throws(() => decodeFragment(Uint8Array.from([0, 1, 0, 1])), { code: 'TRUNCATED' }, 'an empty fragment')
})
