import t from 'tap'
import fc from 'fast-check'
import { Reader, Writer, peekMessageType, MessageType } from '../../protocol/codec'

t.test('integers round-trip big-endian at every width, up to 2^53-1 for u64', async t => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 0xff }), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffffffff }),
      fc.integer({ min: 0, max: 2 ** 48 - 1 }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
      (a, b, c, d, e) => {
        const bytes = new Writer(64).u8(a).u16(b).u32(c).u48(d).u64(e).finish()
        const reader = new Reader(bytes)
        const decoded = [reader.u8('a'), reader.u16('b'), reader.u32('c'), reader.u48('d'), reader.u64('e')]
        reader.end()
        return bytes.length === 21 && decoded.join() === [a, b, c, d, e].join()
      },
    ),
    { seed: 1 },
  )
  t.same([...new Writer(8).u64(0x0102030405).finish()], [0, 0, 0, 1, 2, 3, 4, 5])
})

t.test('writers refuse values that do not fit and buffers that overflow', async t => {
  t.throws(() => new Writer(4).u8(256), { code: 'OUT_OF_RANGE' })
  t.throws(() => new Writer(4).u16(-1), { code: 'OUT_OF_RANGE' })
  t.throws(() => new Writer(4).u32(1.5), { code: 'OUT_OF_RANGE' })
  t.throws(() => new Writer(8).u64(2 ** 53), { code: 'OUT_OF_RANGE' })
  t.throws(() => new Writer(2).u32(1), { code: 'BAD_LENGTH' })
  t.throws(() => new Writer(8).fixed(new Uint8Array(3), 4, 'key'), { code: 'BAD_LENGTH' })
  t.throws(() => new Writer(8).variable(new Uint8Array(5), 4, 'name'), { code: 'BAD_LENGTH' })
})

t.test('readers report truncation, oversize and trailing bytes with typed codes', async t => {
  t.throws(() => new Reader(new Uint8Array(3)).u32('x'), { code: 'TRUNCATED' })
  t.throws(() => new Reader(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0])).u64('x'), { code: 'OUT_OF_RANGE' })
  t.throws(() => new Reader(Uint8Array.from([0, 9, 1, 2])).variable(8, 'x'), { code: 'BAD_LENGTH' })
  t.throws(() => new Reader(Uint8Array.from([0, 4, 1, 2])).variable(8, 'x'), { code: 'TRUNCATED' })
  const reader = new Reader(Uint8Array.from([1, 2]))
  reader.u8('x')
  t.throws(() => reader.end(), { code: 'TRAILING_BYTES' })
  t.throws(() => new Reader('abc' as unknown as Uint8Array), { code: 'BAD_VALUE' })
})

t.test('peeks the message type of a known message only', async t => {
  t.equal(peekMessageType(Uint8Array.from([MessageType.Ack, 1])), MessageType.Ack)
  t.throws(() => peekMessageType(Uint8Array.from([0x7e, 1])), { code: 'UNKNOWN_TYPE' })
  t.throws(() => peekMessageType(Uint8Array.from([1])), { code: 'TRUNCATED' })
})
