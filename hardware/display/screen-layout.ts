// A Screen fitted to a character display of `rows` x `cols` cells, as pages: lines are wrapped at
// word boundaries, an amount is right-aligned and never cut (its thousands separators go first,
// then the space before the currency, then the currency moves to its own row), and when the
// screen needs more rows than the display has, the amount stays on every page (on top when it
// is the first line, at the bottom otherwise; the first line when there is no amount) while the
// other rows page past it.

import type { Screen } from '../devices'
import { toRomA00 } from './hd44780-rom'

export interface DisplaySize {
  readonly rows: number
  readonly cols: number
}

/** `12 500 XOF`, `-1 250.00 EUR` as formatMoney writes them, after the ROM mapping. */
const AMOUNT = /^(-?\d[\d ]*(?:\.\d+)?) ([A-Z]{3})$/

function fitAmount(line: string, cols: number): string[] | undefined {
  const match = AMOUNT.exec(line)
  if (match === null) return undefined
  const [, number, currency] = match as unknown as [string, string, string]
  const digits = number.replace(/ /g, '')
  for (const candidate of [line, `${digits} ${currency}`, `${digits}${currency}`]) {
    if (candidate.length <= cols) return [candidate.padStart(cols)]
  }
  // Narrower than any amount (a 12-digit amount on an 8-column display): wrap the digits, never drop one.
  return [...wrapWord(digits, cols), currency].map(row => row.padStart(cols))
}

function wrapWord(word: string, cols: number): string[] {
  const rows: string[] = []
  for (let offset = 0; offset < word.length; offset += cols) rows.push(word.slice(offset, offset + cols))
  return rows
}

/** Word wrap; a word longer than a row is cut across rows. */
function wrapLine(line: string, cols: number): string[] {
  const rows: string[] = []
  let current = ''
  for (const word of line.split(' ').filter(word => word !== '')) {
    const pieces = word.length > cols ? wrapWord(word, cols) : [word]
    for (const piece of pieces) {
      if (current === '') current = piece
      else if (current.length + 1 + piece.length <= cols) current += ' ' + piece
      else {
        rows.push(current)
        current = piece
      }
    }
  }
  rows.push(current)
  return rows
}

/** The screen as display rows (ROM A00 characters, each padded to `cols`), one array per page. */
export function pagesOf(screen: Screen, size: DisplaySize): string[][] {
  const { rows, cols } = size
  const pad = (row: string) => row.padEnd(cols)
  const blank = (count: number) => Array.from({ length: count }, () => pad(''))
  const blocks = screen.lines.map(line => {
    const rom = toRomA00(line)
    const amount = fitAmount(rom, cols)
    return { amount: amount !== undefined, rows: (amount ?? wrapLine(rom, cols)).map(pad) }
  })
  const all = blocks.flatMap(block => block.rows)
  if (all.length <= rows) return [[...all, ...blank(rows - all.length)]]
  // The amount stays on every page (the first amount of the screen); without one, the first line does.
  const amountIndex = blocks.findIndex(block => block.amount)
  const pinnedIndex = amountIndex === -1 ? 0 : amountIndex
  const pinned = blocks[pinnedIndex]!.rows.length < rows ? blocks[pinnedIndex]!.rows : []
  const rest = blocks.flatMap((block, index) => (index === pinnedIndex && pinned.length > 0 ? [] : block.rows))
  const perPage = rows - pinned.length
  const pages: string[][] = []
  for (let offset = 0; offset < rest.length; offset += perPage) {
    const body = rest.slice(offset, offset + perPage)
    const filled = [...body, ...blank(perPage - body.length)]
    // A pinned first line stays on top; a pinned amount further down stays at the bottom.
    pages.push(pinnedIndex === 0 ? [...pinned, ...filled] : [...filled, ...pinned])
  }
  return pages
}
