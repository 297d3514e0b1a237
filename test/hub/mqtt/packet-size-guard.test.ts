import t from 'tap'
import fc from 'fast-check'
import { MqttFrameScanner } from '../../../hub/mqtt/packet-size-guard'

const SEED = 20250102

/** One MQTT packet: a type byte, the remaining length as a variable byte integer, then the body. */
function packet(body_bytes: number, typeByte = 0x30): Uint8Array {
  const length: number[] = []
  let rest = body_bytes
  do {
    let byte = rest % 128
    rest = Math.floor(rest / 128)
    if (rest > 0) byte |= 0x80
    length.push(byte)
  } while (rest > 0)
  const out = new Uint8Array(1 + length.length + body_bytes)
  out[0] = typeByte
  out.set(length, 1)
  out.fill(0xab, 1 + length.length)
  return out
}

function concat(parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(parts.flatMap((part) => [...part]))
}

function feedInChunks(scanner: MqttFrameScanner, bytes: Uint8Array, cuts: number[]) {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b)
  let verdict = scanner.feed(new Uint8Array(0))
  let start = 0
  for (const point of [...points, bytes.length]) {
    verdict = scanner.feed(bytes.subarray(start, point))
    start = point
  }
  return verdict
}

t.test('passes any sequence of packets within the bound, however the bytes are chunked', async (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 20 }),
      fc.array(fc.nat(), { maxLength: 30 }),
      (bodies, cuts) => {
        const scanner = new MqttFrameScanner(400)
        return feedInChunks(scanner, concat(bodies.map((body) => packet(body))), cuts).ok
      },
    ),
    { seed: SEED, numRuns: 300 },
  )
  t.pass('300 chunkings of valid packet streams pass')
})

t.test('refuses a packet announcing one byte more than the bound, wherever the chunks split', async (t) => {
  const bound = 200
  // A 197-byte body has a 2-byte length: 1 + 2 + 197 = 200 bytes in all.
  t.ok(new MqttFrameScanner(bound).feed(packet(197)).ok, 'exactly the bound passes')
  fc.assert(
    fc.property(fc.array(fc.nat(), { maxLength: 10 }), (cuts) => {
      const scanner = new MqttFrameScanner(bound)
      const verdict = feedInChunks(scanner, concat([packet(10), packet(198)]), cuts)
      return !verdict.ok && verdict.code === 'PACKET_TOO_LARGE' && verdict.packetBytes === 201
    }),
    { seed: SEED, numRuns: 200 },
  )
  t.pass('200 chunkings refuse the oversized packet')
})

t.test('refuses as soon as the header announces too much, before the body arrives', async (t) => {
  const scanner = new MqttFrameScanner(512 * 1024)
  // PUBLISH announcing 268,435,455 bytes, the protocol maximum.
  t.same(scanner.feed(Uint8Array.of(0x30, 0xff, 0xff, 0xff, 0x7f)), {
    ok: false,
    code: 'PACKET_TOO_LARGE',
    packetBytes: 1 + 4 + 268_435_455,
  })
  t.notOk(scanner.feed(packet(0)).ok, 'stays refused')
})

t.test('refuses a remaining length longer than four bytes', async (t) => {
  const scanner = new MqttFrameScanner(512 * 1024)
  t.same(scanner.feed(Uint8Array.of(0x30, 0x80, 0x80, 0x80, 0x80, 0x01)), { ok: false, code: 'MALFORMED_PACKET' })
})

t.test('refuses a bound too small for any packet', async (t) => {
  t.throws(() => new MqttFrameScanner(1), { code: 'INVALID_OPTIONS' })
})
