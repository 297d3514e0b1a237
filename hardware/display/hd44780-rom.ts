// What an HD44780 can draw: its character generator ROM A00 (the common "Japanese" ROM) has ASCII
// except `\` (0x5C draws ¥) and `~` (0x7E draws →), katakana, and a few Greek and accented letters
// (ä ö ü ñ, no é è à ç). French text therefore loses its accents on the LCD ("Accepté" reads
// "Accepte"): plain letters stay legible at 5x8 dots, where the 8 custom CGRAM glyphs would run
// out on a single French sentence. `€` becomes "EUR" (amounts already carry ISO codes).

/** ROM A00 codes of the non-ASCII characters it has. */
const ROM_A00: ReadonlyMap<string, number> = new Map([
  ['¥', 0x5c], ['→', 0x7e], ['←', 0x7f], ['°', 0xdf],
  ['α', 0xe0], ['ä', 0xe1], ['β', 0xe2], ['ε', 0xe3], ['µ', 0xe4], ['μ', 0xe4], ['σ', 0xe5], ['ρ', 0xe6], ['√', 0xe8],
  ['¢', 0xec], ['ñ', 0xee], ['ö', 0xef], ['θ', 0xf2], ['∞', 0xf3], ['Ω', 0xf4], ['ü', 0xf5], ['Σ', 0xf6], ['π', 0xf7],
  ['÷', 0xfd], ['█', 0xff],
])

const FROM_ROM_A00: ReadonlyMap<number, string> = new Map(
  [...ROM_A00].filter(([character]) => character !== 'μ').map(([character, code]) => [code, character]),
)

/** Stand-ins for characters the ROM lacks and that do not lose their accent by decomposition. */
const STAND_INS: Readonly<Record<string, string>> = {
  '\\': '/', '~': '-',
  '€': 'EUR', '…': '...', 'œ': 'oe', 'Œ': 'OE', 'æ': 'ae', 'Æ': 'AE', 'ß': 'ss',
  '\u00a0': ' ', '\u202f': ' ', '\u2009': ' ',
  '‘': "'", '’': "'", '“': '"', '”': '"', '«': '"', '»': '"', '–': '-', '—': '-',
}

/**
 * `text` as the LCD shows it: a string whose every character is one ROM code (0x00-0xFF), so its
 * length is the number of cells it takes.
 */
export function toRomA00(text: string): string {
  let out = ''
  for (const character of text) {
    const code = character.codePointAt(0)!
    if (code >= 0x20 && code <= 0x7d && character !== '\\') {
      out += character
      continue
    }
    const rom = ROM_A00.get(character)
    if (rom !== undefined) {
      out += String.fromCharCode(rom)
      continue
    }
    const standIn = STAND_INS[character]
    if (standIn !== undefined) {
      out += standIn
      continue
    }
    // é → e, Ç → C, ê → e: the base letter, when decomposition leaves plain ASCII.
    const base = character.normalize('NFD').replace(/[\u0300-\u036f]/g, '')
    out += /^[\x20-\x7d]$/.test(base) ? base : '?'
  }
  return out
}

/** The character a person reads for a ROM A00 code. */
export function fromRomA00(code: number): string {
  if (code >= 0x20 && code <= 0x7d && code !== 0x5c) return String.fromCharCode(code)
  return FROM_ROM_A00.get(code) ?? '\ufffd'
}
