import t from 'tap'
import { toHex } from '../../../protocol/bytes'
import { encodeCodePage858 } from '../../../hardware/printer/code-page-858'
import { parseOfflineCause, parsePaperStatus, PrinterError } from '../../../hardware/printer/escpos-printer'
import {
  align, bold, cut, doubleHeight, EscPosError, feedLines, initialize, qrCode, QR_DATA_MAX_BYTES, receiptBytes, selectCodePage, statusRequest,
} from '../../../hardware/printer/escpos'

const hex = (bytes: Uint8Array) => toHex(bytes).replace(/(..)(?!$)/g, '$1 ')

t.test('single commands are the bytes of the Epson ESC/POS reference', async t => {
  t.equal(hex(initialize()), '1b 40', 'ESC @')
  t.equal(hex(selectCodePage()), '1b 74 13', 'ESC t 19: PC858')
  t.equal(hex(align('center')), '1b 61 01', 'ESC a 1')
  t.equal(hex(bold(true)), '1b 45 01', 'ESC E 1')
  t.equal(hex(doubleHeight(true)), '1d 21 01', 'GS ! 1')
  t.equal(hex(feedLines(3)), '1b 64 03', 'ESC d 3')
  t.equal(hex(cut()), '1d 56 42 00', 'GS V 66 0: feed to the cutter and partial cut')
  t.equal(hex(statusRequest(4)), '10 04 04', 'DLE EOT 4: paper sensor')
  t.throws(() => feedLines(256), EscPosError)
  t.throws(() => statusRequest(5), { code: 'OUT_OF_RANGE' })
})

t.test('a QR code is model 2, level M, stored with its length in pL pH, then printed', async t => {
  const data = 'payall:transfer/ab'
  const bytes = qrCode(data, { moduleSize: 5 })
  const k = data.length + 3
  const expected = [
    '1d 28 6b 04 00 31 41 32 00', // model 2
    '1d 28 6b 03 00 31 43 05', // module size 5
    '1d 28 6b 03 00 31 45 31', // error correction M
    `1d 28 6b ${hex(Uint8Array.of(k & 0xff, k >> 8))} 31 50 30 ${hex(new TextEncoder().encode(data))}`, // store
    '1d 28 6b 03 00 31 51 30', // print
  ].join(' ')
  t.equal(hex(bytes), expected)
  // A payload over 255 bytes needs pH.
  const long = qrCode('x'.repeat(300))
  const store = Buffer.from(long).indexOf(Buffer.of(0x31, 0x50, 0x30))
  t.same([...long.subarray(store - 2, store)], [(303) & 0xff, 303 >> 8], 'pL pH = k + 3 = 303')
  t.throws(() => qrCode('x'.repeat(QR_DATA_MAX_BYTES + 1)), { code: 'QR_TOO_LARGE' })
  t.throws(() => qrCode(''), { code: 'QR_EMPTY' })
})

t.test('French text goes out in code page 858, and text never carries a command', async t => {
  t.equal(hex(encodeCodePage858('éèàçùÉ€')), '82 8a 85 87 97 90 d5')
  t.equal(hex(encodeCodePage858('1\u202f250 XOF')), '31 20 32 35 30 20 58 4f 46', 'narrow no-break space as a space')
  t.equal(hex(encodeCodePage858('A\x1b@\x1dV')), '41 3f 40 3f 56', 'ESC and GS inside a merchant name become ?')
  t.equal(hex(encodeCodePage858('漢')), '3f')
})

t.test('a receipt starts with ESC @ and the code page and ends with a cut', async t => {
  const bytes = Buffer.from(receiptBytes('REÇU\nBoutique\n', { qrPayload: 'payall:x' }))
  t.equal(hex(bytes.subarray(0, 5)), '1b 40 1b 74 13')
  t.equal(hex(bytes.subarray(bytes.length - 4)), '1d 56 42 00')
  t.ok(bytes.includes(Buffer.of(0x52, 0x45, 0x80, 0x55, 0x0a)), 'REÇU with Ç as 0x80')
  t.ok(bytes.includes(Buffer.from('1d286b0b00315030', 'hex')), 'QR store header for 8 bytes of data')
})

t.test('every status byte is read or refused with BAD_STATUS, none crashes', async t => {
  let read = 0
  for (let byte = 0; byte < 256; byte++) {
    try {
      parsePaperStatus(byte)
      parseOfflineCause(byte)
      read++
    } catch (error) {
      if (!(error instanceof PrinterError) || error.code !== 'BAD_STATUS') throw error
    }
  }
  t.equal(read, 16, 'the 16 bytes with bits 1 and 4 set and bits 0 and 7 clear')
  t.equal(parsePaperStatus(0x12), 'present')
  t.equal(parsePaperStatus(0x1e), 'near-end')
  t.equal(parsePaperStatus(0x72), 'out')
})
