// Text that people type and the hub repeats to others (names, addresses, references, device models, reasons): one
// line of printable text. One check for every such field, as the JSON-schema format `printable-line`.

export const PRINTABLE_LINE_FORMAT = 'printable-line'

// Refused anywhere in such text: the C0 and C1 controls and DEL (\p{Cc}: NUL, TAB, CR, LF, ESC…); the line and
// paragraph separators U+2028 and U+2029; the format characters (\p{Cf}), which are invisible: the bidi embeddings,
// overrides and isolates (U+202A–U+202E, U+2066–U+2069), the marks U+200E, U+200F and U+061C, zero-width space,
// word joiner, soft hyphen, BOM, tag characters…; lone surrogates; and the Hangul fillers, letters that render as
// nothing and so make a blank name look filled. Allowed among the format characters: the zero-width non-joiner and
// joiner (U+200C, U+200D), which Arabic-script, Persian and Indic spellings and emoji sequences need.
const UNPRINTABLE = /[\p{Cc}\p{Zl}\p{Zp}\p{Cs}\u115F\u1160\u3164\uFFA0]|(?![\u200C\u200D])\p{Cf}/u
const UNPRINTABLE_ALL = new RegExp(UNPRINTABLE.source, 'gu')

export const PRINTABLE_LINE_RULE = 'one line of printable text, not blank: no control characters (NUL, tab, CR, LF…), ' +
  'no bidi controls (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C) and no other invisible format characters'

/** True for one line of printable text that is not blank. */
export function isPrintableLine(text: string): boolean {
  return !UNPRINTABLE.test(text) && /\S/u.test(text)
}

/** The schema of such a field: `lengthMax` UTF-16 units at most, like every maxLength in the hub. */
export function printableLine(length_max: number) {
  return { type: 'string', minLength: 1, maxLength: length_max, format: PRINTABLE_LINE_FORMAT, description: PRINTABLE_LINE_RULE } as const
}

/** The text with every character printableLine refuses replaced by U+FFFD: for text stored before the check. */
export function withUnprintableReplaced(text: string): string {
  return text.replace(UNPRINTABLE_ALL, '\uFFFD')
}

/**
 * The text made one printable line: line breaks, tabs and other spacing controls become a space, the other characters
 * printableLine refuses are dropped, runs of spaces collapse. For text kept from elsewhere (the legacy import).
 */
export function asPrintableLine(text: string): string {
  return text.replace(/[\t\n\v\f\r\u0085\u2028\u2029]+/gu, ' ').replace(UNPRINTABLE_ALL, '').replace(/ {2,}/g, ' ').trim()
}
