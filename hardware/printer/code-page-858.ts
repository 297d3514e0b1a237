// IBM code page 858 (code page 850 with the euro sign at 0xD5): the printer's character table for
// French receipts (é, è, à, ç, ù, É, €…). ESC/POS selects it with `ESC t 19`.

import { assert } from '../../protocol/errors'

/** The characters of bytes 0x80..0xFF, in order. */
const UPPER_HALF =
  'ÇüéâäàåçêëèïîìÄÅ' + // 0x80
  'ÉæÆôöòûùÿÖÜø£Ø×ƒ' + // 0x90
  'áíóúñÑªº¿®¬½¼¡«»' + // 0xA0
  '░▒▓│┤ÁÂÀ©╣║╗╝¢¥┐' + // 0xB0
  '└┴┬├─┼ãÃ╚╔╩╦╠═╬¤' + // 0xC0
  'ðÐÊËÈ€ÍÎÏ┘┌█▄¦Ì▀' + // 0xD0
  'ÓßÔÒõÕµþÞÚÛÙýÝ¯´' + // 0xE0
  '\u00ad±‗¾¶§÷¸°¨·¹³²■\u00a0' // 0xF0

/** The `ESC t n` number of PC858 in Epson's table. */
export const CODE_PAGE_858 = 19

assert(UPPER_HALF.length === 0x80, 'code page 858 has 128 upper characters')
const TO_BYTE = new Map<string, number>()
for (let index = 0; index < UPPER_HALF.length; index++) TO_BYTE.set(UPPER_HALF[index]!, 0x80 + index)

/** Characters outside the page that have a fair ASCII stand-in on paper. */
const STAND_INS: Readonly<Record<string, string>> = {
  '\u202f': ' ', // narrow no-break space: formatMoney's thousands separator
  '\u2009': ' ',
  '\u2026': '...',
  '\u2018': "'", '\u2019': "'", '\u201c': '"', '\u201d': '"',
  '\u2013': '-', '\u2014': '-',
  'œ': 'oe', 'Œ': 'OE',
}

/**
 * The bytes of `text` in PC858. Control characters (other than line feeds) become '?': text on a
 * receipt never carries printer commands, whatever a merchant name contains.
 */
export function encodeCodePage858(text: string): Uint8Array {
  const out: number[] = []
  for (const character of text) {
    const code = character.codePointAt(0)!
    if (code === 0x0a || (code >= 0x20 && code < 0x7f)) {
      out.push(code)
      continue
    }
    const byte = TO_BYTE.get(character)
    if (byte !== undefined && code !== 0xa0 && code !== 0xad) {
      out.push(byte)
      continue
    }
    const standIn = STAND_INS[character] ?? (code === 0xa0 ? ' ' : '?')
    for (const part of standIn) out.push(part.charCodeAt(0))
  }
  return Uint8Array.from(out)
}

/** The character a PC858 byte prints as (what a person reads on the paper). */
export function decodeCodePage858Byte(byte: number): string {
  if (byte >= 0x80) return UPPER_HALF[byte - 0x80]!
  return String.fromCharCode(byte)
}
