import t from 'tap'
import fc from 'fast-check'
import * as arb from '../helpers/arbitraries'
import { byteMutation, expectEveryBitFlipRefused, expectFramingErrors, expectOnlyProtocolErrors, mutateBytes } from '../helpers/mutations'
import { MerkleTree, verifyProof } from '../../protocol/merkle'
import { nodeEd25519 } from '../../protocol/signature/node'
import type { MessageCodec } from '../../protocol/messages/define'
import {
  PROOF_BUNDLE_ENTRIES_MAX, PROOF_REQUEST_IDS_MAX, canonicalTransferIds, proofBundleCodec, proofRequestCodec,
  type ProofBundleBody,
} from '../../protocol/messages/proof-bundle'

const ed = nodeEd25519
const hubKeys = ed.keyPairFromSeed(new Uint8Array(32).fill(7))
const otherKeys = ed.keyPairFromSeed(new Uint8Array(32).fill(8))
const SEED = 20261128
const MQTT_PACKET_BYTES_MAX = 512 * 1024

const id = arb.bytes(32)
const ids = (maxLength: number) => fc.uniqueArray(id, { maxLength, selector: value => Buffer.from(value).toString('hex') })

const anchoredBatch = fc.record({
  batchId: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  root: arb.bytes(32),
  leafCount: fc.integer({ min: 1, max: 1_048_576 }),
  chainId: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  contractAddress: arb.bytes(20),
  txHash: fc.option(arb.bytes(32), { nil: null }),
  blockNumber: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
})

/** Any well-formed body: each id answered once, lists sorted, proofs only with their batch. */
const bundleBody: fc.Arbitrary<ProofBundleBody> = fc
  .record({
    gatewayEui: arb.eui,
    batch: fc.option(anchoredBatch, { nil: null }),
    ids: ids(12),
    proofs: fc.array(fc.array(arb.bytes(32), { maxLength: 20 }), { minLength: 12, maxLength: 12 }),
    split: fc.tuple(fc.nat(), fc.nat()),
  })
  .filter(({ batch, ids }) => ids.length > (batch === null ? 0 : 1))
  .map(({ gatewayEui, batch, ids, proofs, split }) => {
    const sorted = canonicalTransferIds(ids)
    const proved = batch === null ? 0 : 1 + (split[0] % (sorted.length - 1))
    const pendingEnd = proved + (split[1] % (sorted.length - proved + 1))
    return {
      gatewayEui,
      batch,
      entries: sorted.slice(0, proved).map((transferId, index) => ({
        transferId, leafIndex: batch === null ? 0 : index % batch.leafCount, proof: proofs[index]!,
      })),
      pending: sorted.slice(proved, pendingEnd),
      unknown: sorted.slice(pendingEnd),
    }
  })

const bundle = bundleBody.map(body => proofBundleCodec.sign(body, hubKeys.secretKey, ed))
const request = fc.record({
  gatewayEui: arb.eui,
  transferIds: ids(PROOF_REQUEST_IDS_MAX).filter(list => list.length > 0).map(canonicalTransferIds),
})

for (const { codec, value } of [
  { codec: proofBundleCodec as MessageCodec<unknown>, value: bundle as fc.Arbitrary<unknown> },
  { codec: proofRequestCodec as MessageCodec<unknown>, value: request as fc.Arbitrary<unknown> },
]) {
  t.test(codec.name, async t => {
    t.test('round-trips every value and encodes it canonically', async t => {
      let runs = 0
      fc.assert(fc.property(value, message => {
        const encoded = codec.encode(message)
        if (encoded.length > codec.size_max) throw new Error('encoding exceeds size_max')
        t.same(codec.decode(encoded), message)
        if (Buffer.compare(codec.encode(codec.decode(encoded)), encoded) !== 0) throw new Error('re-encoding differs')
        runs++
      }), { seed: SEED, numRuns: 100 })
      t.equal(runs, 100)
    })

    t.test('decoding random bytes throws only ProtocolError', async t => {
      fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), input => expectOnlyProtocolErrors(codec, input)),
        { seed: SEED, numRuns: 300 })
      fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), input =>
        expectOnlyProtocolErrors(codec, Uint8Array.from([codec.type, 1, ...input]))), { seed: SEED, numRuns: 500 })
      t.pass()
    })

    t.test('decoding mutated messages throws only ProtocolError or yields a canonical message', async t => {
      fc.assert(fc.property(value, fc.array(byteMutation, { minLength: 1, maxLength: 3 }), (message, mutations) => {
        let input = codec.encode(message)
        for (const m of mutations) input = mutateBytes(input, m)
        expectOnlyProtocolErrors(codec, input)
      }), { seed: SEED, numRuns: 300 })
      t.pass()
    })

    t.test('rejects truncation, trailing bytes, other types and versions with typed codes', async t => {
      const [message] = fc.sample(value, { seed: SEED, numRuns: 1 })
      expectFramingErrors(t, codec, codec.encode(message))
    })
  })
}

t.test('a flipped bit anywhere in a bundle fails decoding or the hub signature', async t => {
  const [message] = fc.sample(bundle.filter(b => b.batch !== null), { seed: SEED, numRuns: 1 })
  t.ok(proofBundleCodec.verify(message!, hubKeys.publicKey, ed), 'the original verifies')
  t.notOk(proofBundleCodec.verify(message!, otherKeys.publicKey, ed), 'another key does not verify')
  const checked = expectEveryBitFlipRefused(t, proofBundleCodec, proofBundleCodec.encode(message!), hubKeys.publicKey, ed)
  t.ok(checked > 0, `${checked} decodable flips all failed verification`)
})

t.test('carries real proofs that still verify after the trip', async t => {
  const values = Array.from({ length: 1_000 }, (_, index) => Uint8Array.from({ length: 32 }, (_, byte) => (index * 31 + byte * 7) & 0xff))
  const tree = MerkleTree.build(values)
  const chosen = canonicalTransferIds([values[3]!, values[500]!, values[999]!])
  const body: ProofBundleBody = {
    gatewayEui: '70B3D57ED0000001',
    batch: {
      batchId: 9, root: tree.root, leafCount: tree.leafCount, chainId: 31337, contractAddress: new Uint8Array(20).fill(1),
      txHash: new Uint8Array(32).fill(2), blockNumber: 12,
    },
    entries: chosen.map(value => ({ transferId: value, leafIndex: tree.indexOf(value), proof: tree.proof(value) })),
    pending: [new Uint8Array(32).fill(0xee)],
    unknown: [],
  }
  const decoded = proofBundleCodec.decode(proofBundleCodec.encode(proofBundleCodec.sign(body, hubKeys.secretKey, ed)))
  for (const entry of decoded.entries) t.ok(verifyProof(decoded.batch!.root, entry.transferId, entry.proof))
})

t.test('size budget: a full bundle of the longest proofs fits one MQTT packet', async t => {
  const entries = Array.from({ length: PROOF_BUNDLE_ENTRIES_MAX }, (_, index) => ({
    transferId: Uint8Array.from({ length: 32 }, (_, byte) => (byte === 0 ? index >> 8 : byte === 1 ? index & 0xff : 0)),
    leafIndex: index,
    proof: Array.from({ length: 20 }, () => new Uint8Array(32).fill(3)),
  }))
  const full = proofBundleCodec.sign({
    gatewayEui: '70B3D57ED0000001',
    batch: {
      batchId: 1, root: new Uint8Array(32), leafCount: 1_048_576, chainId: 1, contractAddress: new Uint8Array(20), txHash: null,
      blockNumber: 1,
    },
    entries,
    pending: [],
    unknown: [],
  }, hubKeys.secretKey, ed)
  const encoded = proofBundleCodec.encode(full)
  t.ok(encoded.length < MQTT_PACKET_BYTES_MAX, `${encoded.length} bytes`)
  t.ok(proofBundleCodec.size_max < MQTT_PACKET_BYTES_MAX, `size_max ${proofBundleCodec.size_max}`)
})

t.test('encoders refuse bundles that are not canonical or say nothing', async t => {
  const transferId = new Uint8Array(32).fill(1)
  const batch = {
    batchId: 1, root: new Uint8Array(32), leafCount: 4, chainId: 1, contractAddress: new Uint8Array(20), txHash: null, blockNumber: 1,
  }
  const base: ProofBundleBody = { gatewayEui: '70B3D57ED0000001', batch, entries: [{ transferId, leafIndex: 0, proof: [] }], pending: [], unknown: [] }
  const sign = (body: ProofBundleBody) => proofBundleCodec.sign(body, hubKeys.secretKey, ed)
  t.throws(() => sign({ ...base, batch: null }), { code: 'BAD_VALUE' }, 'proofs without a batch')
  t.throws(() => sign({ ...base, entries: [] }), { code: 'BAD_VALUE' }, 'a batch without proofs')
  t.throws(() => sign({ ...base, batch: null, entries: [] }), { code: 'BAD_VALUE' }, 'nothing at all')
  t.throws(() => sign({ ...base, pending: [transferId] }), { code: 'BAD_VALUE' }, 'one id answered twice')
  t.throws(() => sign({ ...base, entries: [{ transferId, leafIndex: 4, proof: [] }] }), { code: 'OUT_OF_RANGE' }, 'leaf outside the batch')
  t.throws(() => sign({ ...base, batch: null, entries: [], unknown: [transferId, transferId] }), { code: 'BAD_VALUE' }, 'duplicates')
  t.throws(() => sign({ ...base, batch: { ...batch, batchId: 0 } }), { code: 'OUT_OF_RANGE' })
  t.throws(() => proofRequestCodec.encode({ gatewayEui: '70B3D57ED0000001', transferIds: [] }), { code: 'BAD_VALUE' })
  const tooMany = Array.from({ length: PROOF_REQUEST_IDS_MAX + 1 }, (_, i) => Uint8Array.from({ length: 32 }, (_, b) => (b === 0 ? i >> 8 : b === 1 ? i & 0xff : 0)))
  t.throws(() => proofRequestCodec.encode({ gatewayEui: '70B3D57ED0000001', transferIds: tooMany }), { code: 'TOO_MANY' })
})
