// The counter display: an HD44780 character LCD (16x2 or 20x4) behind a PCF8574 I2C backpack,
// driven through johnny-five's LCD on a Board the caller opened. Screens are fitted by
// screen-layout (amounts right-aligned and never cut, French text in what ROM A00 can draw);
// a screen longer than the display pages on a timer, and only changed rows are rewritten.

import type { Cancel, Clock } from '../../protocol/clock'
import { CodedError } from '../../protocol/errors'
import type { Display, Screen } from '../devices'
import type { JohnnyFiveBoard } from '../keypad/johnny-five-keypad'
import { pagesOf, type DisplaySize } from './screen-layout'

type DisplayErrorCode = 'BAD_OPTIONS'

class DisplayError extends CodedError<DisplayErrorCode> {
  override readonly name = 'DisplayError'
}

/** j5's names for the PCF8574 backpack: 0x27 (PCF8574/T) or 0x3F (PCF8574A/AT) by default. */
const LCD_CONTROLLERS = ['PCF8574', 'PCF8574T', 'PCF8574A', 'PCF8574AT', 'LCM1602', 'LCD2004'] as const
type LcdController = (typeof LCD_CONTROLLERS)[number]

const LCD_SIZES: readonly DisplaySize[] = [{ rows: 2, cols: 16 }, { rows: 4, cols: 20 }]

export interface LcdDisplayOptions extends DisplaySize {
  readonly controller?: LcdController
  readonly address?: number
  /** How long each page of a long screen stays up. */
  readonly page_ms?: number
}

/** What the driver uses of johnny-five's LCD. */
interface JohnnyFiveLcd {
  cursor(row: number, col: number): unknown
  print(message: string, options: { dontProcessSpecials: boolean }): unknown
}

export class LcdDisplay implements Display {
  readonly size: DisplaySize
  private readonly lcd: JohnnyFiveLcd
  private readonly page_ms: number
  private readonly clock: Clock
  private drawn: string[]
  private cancelPaging: Cancel | undefined

  /** Takes the open board and the clock its pages turn on. */
  constructor(board: JohnnyFiveBoard, clock: Clock, options: LcdDisplayOptions) {
    const { rows, cols } = options
    if (!LCD_SIZES.some(size => size.rows === rows && size.cols === cols)) {
      throw new DisplayError('BAD_OPTIONS', `an HD44780 LCD here is 16x2 or 20x4, not ${cols}x${rows}`)
    }
    const controller = options.controller ?? 'PCF8574'
    if (!(LCD_CONTROLLERS as readonly string[]).includes(controller)) {
      throw new DisplayError('BAD_OPTIONS', `unknown LCD controller ${JSON.stringify(controller)}`)
    }
    this.size = { rows, cols }
    this.page_ms = options.page_ms ?? 2_500
    this.clock = clock
    // johnny-five ships no type declarations.
    const { LCD } = require('johnny-five') as { LCD: new (options: object) => JohnnyFiveLcd }
    this.lcd = new LCD({ controller, board, rows, cols, ...(options.address !== undefined && { address: options.address }) })
    // j5 clears the display when it initializes it.
    this.drawn = Array.from({ length: rows }, () => ' '.repeat(cols))
  }

  show(screen: Screen): void {
    this.stopPaging()
    const pages = pagesOf(screen, this.size)
    this.draw(pages[0]!)
    if (pages.length > 1) this.turnPage(pages, 1)
  }

  /** Stops turning pages; what is shown stays. */
  close(): void {
    this.stopPaging()
  }

  private turnPage(pages: string[][], next: number): void {
    this.cancelPaging = this.clock.setTimer(() => {
      this.draw(pages[next]!)
      this.turnPage(pages, (next + 1) % pages.length)
    }, this.page_ms)
  }

  private stopPaging(): void {
    this.cancelPaging?.()
    this.cancelPaging = undefined
  }

  private draw(rows: readonly string[]): void {
    rows.forEach((row, index) => {
      if (this.drawn[index] === row) return
      this.lcd.cursor(index, 0)
      // Each character is already a ROM code; `:name:` must not be read as a j5 custom glyph.
      this.lcd.print(row, { dontProcessSpecials: true })
      this.drawn[index] = row
    })
  }
}
