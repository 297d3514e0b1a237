import t from 'tap'
import fc from 'fast-check'
import { fromHex, toHex } from '../../../protocol/bytes'
import {
  FRAME_BODY_MAX_BYTES, FrameParser, TFI_HOST_TO_PN532, TFI_PN532_TO_HOST,
  ackFrame, encodeCommandFrame, encodeInformationFrame, encodeResponseFrame, nackFrame, syntaxErrorFrame, type ParseEvent, type Pn532Frame,
} from '../../../hardware/nfc/pn532-frame'
import { isPn532Error } from '../../../hardware/nfc/errors'

const hex = (text: string) => fromHex(text.replace(/ /g, ''))
const frames = (events: ParseEvent[]): Pn532Frame[] => events.flatMap(event => (event.kind === 'frame' ? [event.frame] : []))
const describe = (frame: Pn532Frame): string =>
  frame.kind === 'information' ? `${frame.tfi.toString(16)}:${toHex(frame.data)}:${frame.extended}` : frame.kind

t.test('encodes the commands of NXP UM0701-02 byte for byte', async t => {
  t.equal(toHex(encodeCommandFrame(0x02)), toHex(hex('00 00 FF 02 FE D4 02 2A 00')), 'GetFirmwareVersion')
  t.equal(toHex(encodeCommandFrame(0x14, Uint8Array.of(0x01))), toHex(hex('00 00 FF 03 FD D4 14 01 17 00')), 'SAMConfiguration normal')
  t.equal(toHex(encodeCommandFrame(0x4a, Uint8Array.of(0x01, 0x00))), toHex(hex('00 00 FF 04 FC D4 4A 01 00 E1 00')), 'InListPassiveTarget')
  t.equal(
    toHex(encodeCommandFrame(0x40, hex('01 00 A4 04 00 07 F0 01 02 03 04 05 06 00'))),
    toHex(hex('00 00 FF 10 F0 D4 40 01 00 A4 04 00 07 F0 01 02 03 04 05 06 00 37 00')),
    'InDataExchange carrying SELECT',
  )
  t.equal(toHex(encodeResponseFrame(0x02, hex('32 01 06 07'))), toHex(hex('00 00 FF 06 FA D5 03 32 01 06 07 E8 00')))
  t.equal(toHex(encodeResponseFrame(0x14)), toHex(hex('00 00 FF 02 FE D5 15 16 00')))
  t.equal(toHex(encodeResponseFrame(0x40, hex('00 90 00'))), toHex(hex('00 00 FF 05 FB D5 41 00 90 00 5A 00')))
  t.equal(toHex(ackFrame()), '0000ff00ff00')
  t.equal(toHex(nackFrame()), '0000ffff0000')
  t.equal(toHex(syntaxErrorFrame()), '0000ff01ff7f8100')
})

t.test('parses the chip\'s answer to GetFirmwareVersion: ACK, then the response', async t => {
  const parser = new FrameParser()
  const events = parser.push(hex('00 00 FF 00 FF 00 00 00 FF 06 FA D5 03 32 01 06 07 E8 00'))
  t.same(frames(events).map(describe), ['ack', 'd5:0332010607:false'])
  t.equal(parser.buffered_bytes, 1, 'only the postamble, a possible start code, is held')
  t.same(frames(parser.push(hex('00 00 FF FF 00 00'))).map(describe), ['nack'])
  t.same(frames(parser.push(syntaxErrorFrame())).map(describe), ['syntax-error'])
})

t.test('extended frames carry bodies past 255 bytes both ways', async t => {
  const data = new Uint8Array(263).map((_, index) => index & 0xff)
  data[0] = 0x41
  const frame = encodeInformationFrame(TFI_PN532_TO_HOST, data)
  t.same([...frame.subarray(0, 8)], [0x00, 0x00, 0xff, 0xff, 0xff, 0x01, 0x08, 0xf7], 'LENM 01 LENL 08, (LENM + LENL + LCS) = 0')
  t.equal(frame.length, 8 + 264 + 2)
  const [event] = new FrameParser().push(frame)
  t.same(event?.kind === 'frame' && event.frame.kind === 'information' ? [event.frame.extended, toHex(event.frame.data)] : event, [true, toHex(data)])
  const normal = encodeInformationFrame(TFI_HOST_TO_PN532, new Uint8Array(254).fill(7))
  t.same([...normal.subarray(3, 5)], [0xff, 0x01], 'a 255-byte body still fits a normal frame (LEN FF, LCS 01)')
  t.same(frames(new FrameParser().push(normal)).map(frame => frame.kind === 'information' && frame.extended), [false])
  t.throws(() => encodeInformationFrame(TFI_HOST_TO_PN532, new Uint8Array(FRAME_BODY_MAX_BYTES)), { code: 'BAD_ARGUMENT' })
  t.throws(() => encodeInformationFrame(0x7f, Uint8Array.of(1)), { code: 'BAD_ARGUMENT' })
})

t.test('reports a bad LCS or DCS as a BAD_FRAME event and recovers the next frame', async t => {
  const parser = new FrameParser()
  const badDcs = hex('00 00 FF 06 FA D5 03 32 01 06 07 E9 00')
  const badLcs = hex('00 00 FF 06 FB D5 03 32 01 06 07 E8 00')
  const events = parser.push(new Uint8Array([...badDcs, ...badLcs, ...hex('00 00 FF 02 FE D5 15 16 00')]))
  const invalid = events.filter(event => event.kind === 'invalid')
  t.equal(invalid.length, 2)
  t.ok(invalid.every(event => event.kind === 'invalid' && isPn532Error(event.error, 'BAD_FRAME')))
  t.same(frames(events).map(describe), ['d5:15:false'])
})

t.test('a frame cut short does not swallow the frame after it', async t => {
  const parser = new FrameParser()
  const cut = hex('00 00 FF 06 FA D5 03 32')
  const events = parser.push(new Uint8Array([...cut, ...ackFrame()]))
  t.same(frames(events).map(describe), ['ack'])
  t.equal(events.filter(event => event.kind === 'invalid').length, 1)
})

t.test('skips garbage and preambles or postambles of any length', async t => {
  const parser = new FrameParser()
  const events = parser.push(hex('13 37 FF 00 00 00 00 00 FF 02 FE D5 15 16 00 00 00 00 AA 00 00 FF 00 FF 00'))
  t.same(frames(events).map(describe), ['d5:15:false', 'ack'])
})

t.test('a length past the bound is refused at once, not waited for', async t => {
  const parser = new FrameParser(64)
  const events = parser.push(hex('00 00 FF FF FF 01 00 FF D5'))
  t.equal(events.length, 1)
  t.ok(events[0]?.kind === 'invalid' && isPn532Error(events[0].error, 'BAD_FRAME'))
  t.ok(parser.buffered_bytes < 8)
})

const informationFrame = fc
  .tuple(fc.constantFrom(TFI_HOST_TO_PN532, TFI_PN532_TO_HOST), fc.uint8Array({ minLength: 1, maxLength: FRAME_BODY_MAX_BYTES - 1 }))
  .map(([tfi, data]) => encodeInformationFrame(tfi, data))
const anyFrame = fc.oneof(informationFrame, fc.constant(ackFrame()), fc.constant(nackFrame()), fc.constant(syntaxErrorFrame()))
/** Garbage without 00 or FF cannot form a start code, so the frames around it are exactly recovered. */
const quietGarbage = fc.uint8Array({ maxLength: 40 }).map(bytes => bytes.map(byte => (byte === 0x00 || byte === 0xff ? 0x42 : byte)))

function chunked(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map(cut => cut % (bytes.length + 1)))].sort((a, b) => a - b)
  const chunks: Uint8Array[] = []
  let from = 0
  for (const point of points) {
    chunks.push(bytes.subarray(from, point))
    from = point
  }
  chunks.push(bytes.subarray(from))
  return chunks
}

t.test('fuzz: valid frames between quiet garbage are recovered in order, however the bytes are chunked', async t => {
  fc.assert(
    fc.property(fc.array(fc.tuple(quietGarbage, anyFrame), { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 30 }), (pairs, cuts) => {
      const stream = new Uint8Array(pairs.flatMap(([garbage, frame]) => [...garbage, ...frame]))
      const parser = new FrameParser()
      const parsed = chunked(stream, cuts).flatMap(chunk => frames(parser.push(chunk)))
      const expected = pairs.flatMap(([, frame]) => frames(new FrameParser().push(frame)))
      return JSON.stringify(parsed.map(describe)) === JSON.stringify(expected.map(describe)) && expected.length === pairs.length
    }),
    { seed: 6532, numRuns: 300 },
  )
  t.pass('300 streams')
})

t.test('fuzz: arbitrary bytes in arbitrary chunks never throw and never grow the buffer past one frame', async t => {
  fc.assert(
    fc.property(
      fc.array(fc.oneof(fc.uint8Array({ maxLength: 300 }), anyFrame, anyFrame.map(frame => frame.subarray(0, frame.length >> 1))), { maxLength: 12 }),
      fc.array(fc.nat(), { maxLength: 40 }),
      (parts, cuts) => {
        const parser = new FrameParser()
        const stream = new Uint8Array(parts.flatMap(part => [...part]))
        for (const chunk of chunked(stream, cuts)) {
          for (const event of parser.push(chunk)) {
            if (event.kind === 'invalid' && !isPn532Error(event.error, 'BAD_FRAME')) return false
          }
          if (parser.buffered_bytes > FRAME_BODY_MAX_BYTES + 10) return false
        }
        return true
      },
    ),
    { seed: 5320, numRuns: 300 },
  )
  t.pass('300 streams')
})
