import t from 'tap'
import fc from 'fast-check'
import { EUI_LENGTH_BYTES, euiFromBytes, euiToBytes, isEui, parseEui } from '../../protocol/eui'
import { expectOnlyProtocolError, mutatedText } from '../helpers/mutations'

const SEED = 20240607
const CANONICAL = '0011223344AABBCC'

const eightBytes = fc.uint8Array({ minLength: EUI_LENGTH_BYTES, maxLength: EUI_LENGTH_BYTES })
const eui = eightBytes.map(euiFromBytes)

// Characters likely to confuse a parser, for editing valid spellings.
const confusing = fc.constantFrom('-', ':', '0', 'f', 'F', 'g', ' ', '\n', '/', '+', 'é', '\u0000', '--')
const spelled = fc.tuple(eui, fc.constantFrom('', '-', ':'), fc.boolean()).map(([value, separator, lower]) => {
  const text = value.match(/../g)!.join(separator)
  return lower ? text.toLowerCase() : text
})

t.test('parses the canonical form unchanged', async (t) => {
  t.equal(parseEui(CANONICAL), CANONICAL)
})

t.test('canonicalises lower case and dash or colon separated bytes', async (t) => {
  t.equal(parseEui('0011223344aabbcc'), CANONICAL)
  t.equal(parseEui('00-11-22-33-44-aa-bb-cc'), CANONICAL)
  t.equal(parseEui('00:11:22:33:44:AA:BB:CC'), CANONICAL)
  t.equal(parseEui('00:11:22:33:44:Aa:bB:cc'), CANONICAL)
})

t.test('rejects malformed EUIs with BAD_EUI', async (t) => {
  const bad = [
    '',
    '0011223344AABB', // 7 bytes
    '0011223344AABBCCDD', // 9 bytes
    '0011223344AABBCG', // not hex
    '00-11-22-33:44-AA-BB-CC', // mixed separators
    '00-11-22-33-44-AA-BB-CC-', // trailing separator
    '-00-11-22-33-44-AA-BB-CC',
    '0-011-22-33-44-AA-BB-CC', // separator in the wrong place
    '00 11 22 33 44 AA BB CC', // spaces are not a separator
    ' 0011223344AABBCC',
    '0011223344AABBCC\n',
    '0x0011223344AABB',
    '00--11-22-33-44-AA-BB',
  ]
  for (const text of bad) t.throws(() => parseEui(text), { code: 'BAD_EUI' }, JSON.stringify(text))
  t.throws(() => parseEui(42 as unknown as string), { code: 'BAD_EUI' })
  t.throws(() => parseEui(undefined as unknown as string), { code: 'BAD_EUI' })
})

t.test('isEui accepts only the canonical uppercase form', async (t) => {
  t.ok(isEui(CANONICAL))
  t.notOk(isEui('0011223344aabbcc'))
  t.notOk(isEui('00-11-22-33-44-AA-BB-CC'))
  t.notOk(isEui('0011223344AABB'))
  t.notOk(isEui(null))
  t.notOk(isEui(0x0011223344))
})

t.test('converts to and from 8 bytes', async (t) => {
  t.same([...euiToBytes(CANONICAL)], [0x00, 0x11, 0x22, 0x33, 0x44, 0xaa, 0xbb, 0xcc])
  t.same([...euiToBytes('00:11:22:33:44:aa:bb:cc')], [0x00, 0x11, 0x22, 0x33, 0x44, 0xaa, 0xbb, 0xcc])
  t.equal(euiFromBytes(new Uint8Array([0xde, 0xad, 0xbe, 0xef, 0x00, 0x01, 0x02, 0x03])), 'DEADBEEF00010203')
})

t.test('rejects byte strings that are not 8 bytes long', async (t) => {
  t.throws(() => euiFromBytes(new Uint8Array(7)), { code: 'BAD_EUI' })
  t.throws(() => euiFromBytes(new Uint8Array(9)), { code: 'BAD_EUI' })
  t.throws(() => euiFromBytes([1, 2, 3, 4, 5, 6, 7, 8] as unknown as Uint8Array), { code: 'BAD_EUI' })
})

t.test('round-trips any 8 bytes through the canonical text', async (t) => {
  fc.assert(
    fc.property(eightBytes, (bytes) => {
      const text = euiFromBytes(bytes)
      return isEui(text) && parseEui(text) === text && Buffer.from(euiToBytes(text)).equals(Buffer.from(bytes))
    }),
    { seed: SEED, numRuns: 1000 },
  )
  t.pass('1000 round trips')
})

t.test('every accepted spelling parses to a canonical EUI', async (t) => {
  fc.assert(
    fc.property(spelled, (text) => isEui(parseEui(text))),
    { seed: SEED, numRuns: 1000 },
  )
  t.pass('1000 spellings')
})

t.test('fuzzed input only ever raises ProtocolError BAD_EUI', async (t) => {
  fc.assert(
    fc.property(fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }), mutatedText(spelled, confusing)), (text) => {
      expectOnlyProtocolError('BAD_EUI', () => {
        const parsed = parseEui(text)
        if (!isEui(parsed)) throw new Error(`parseEui returned a non-canonical ${parsed}`)
      })
    }),
    { seed: SEED, numRuns: 5000 },
  )
  fc.assert(
    fc.property(fc.anything(), (value) => {
      expectOnlyProtocolError('BAD_EUI', () => parseEui(value as string))
      expectOnlyProtocolError('BAD_EUI', () => euiToBytes(value as string))
      expectOnlyProtocolError('BAD_EUI', () => euiFromBytes(value as Uint8Array))
    }),
    { seed: SEED, numRuns: 2000 },
  )
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 20 }), (bytes) => expectOnlyProtocolError('BAD_EUI', () => euiFromBytes(bytes))),
    { seed: SEED, numRuns: 2000 },
  )
  t.pass('no other exception')
})
