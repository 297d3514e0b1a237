// An HD44780 LCD behind a PCF8574 I2C backpack, on a mock-firmata Board: it takes the bytes j5's
// LCD writes to the expander (P0 RS, P1 RW, P2 E, P3 backlight, P4-P7 D4-D7), latches a nibble on
// each falling edge of E as the controller does, runs the instructions (function set, clear,
// entry mode, DDRAM address, data) and shows the rows a person would read through the glass.

import { fromRomA00 } from '../../hardware/display/hd44780-rom'
import type { DisplaySize } from '../../hardware/display/screen-layout'
import type { MockFirmataBoard } from '../keypad/mock-firmata-board'

const PCF8574_ADDRESS_DEFAULT = 0x27

const RS = 0x01
const EN = 0x04
const BACKLIGHT = 0x08
/** DDRAM address of each row's first cell (rows 2 and 3 of a 20x4 continue rows 0 and 1). */
const ROW_OFFSETS = [0x00, 0x40, 0x14, 0x54] as const
const LINE_LENGTH = 0x28

export interface VirtualLcdOptions extends DisplaySize {
  readonly address?: number
}

export class VirtualLcd {
  backlight = false
  displayOn = false
  /** Instructions the emulator does not model (cursor or display shift), counted. */
  ignoredInstructions = 0
  private readonly ddram = new Uint8Array(0x80).fill(0x20)
  private readonly address: number
  private addressCounter = 0
  private increment = true
  private eightBitMode = true
  private highNibble: number | undefined
  private lastPort = 0
  private writingCgram = false

  /** Attach before the LCD driver is built: j5 initializes the controller in its constructor. */
  constructor(board: MockFirmataBoard, private readonly options: VirtualLcdOptions) {
    this.address = options.address ?? PCF8574_ADDRESS_DEFAULT
    const io = board.io
    const i2cWrite = io.i2cWrite.bind(io)
    io.i2cWrite = (address: number, ...rest: unknown[]) => {
      if (address !== this.address) {
        i2cWrite(address, ...rest)
        return
      }
      const [data] = rest
      for (const byte of typeof data === 'number' ? [data] : (data as number[])) this.port(byte)
    }
  }

  /** The rows as a person reads them (trailing spaces kept: they are cells too). */
  rows(): string[] {
    return ROW_OFFSETS.slice(0, this.options.rows).map(offset => {
      let row = ''
      for (let col = 0; col < this.options.cols; col++) row += fromRomA00(this.ddram[offset + col]!)
      return row
    })
  }

  /** The rows without trailing spaces, for reading. */
  text(): string[] {
    return this.rows().map(row => row.trimEnd())
  }

  private port(byte: number): void {
    this.backlight = (byte & BACKLIGHT) !== 0
    // The HD44780 latches D4-D7 on the falling edge of E.
    if ((this.lastPort & EN) !== 0 && (byte & EN) === 0) this.latch(this.lastPort)
    this.lastPort = byte
  }

  private latch(port: number): void {
    const nibble = port >> 4
    const data = (port & RS) !== 0
    if (this.eightBitMode) {
      // Wired for 4 bits, the controller reads D0-D3 as 0 until told otherwise.
      this.execute(nibble << 4, data)
      return
    }
    if (this.highNibble === undefined) {
      this.highNibble = nibble
      return
    }
    const value = (this.highNibble << 4) | nibble
    this.highNibble = undefined
    this.execute(value, data)
  }

  private execute(value: number, data: boolean): void {
    if (data) {
      if (!this.writingCgram) {
        this.ddram[this.addressCounter] = value
        this.step()
      }
      return
    }
    if (value & 0x80) {
      this.writingCgram = false
      this.addressCounter = value & 0x7f
    } else if (value & 0x40) {
      this.writingCgram = true
    } else if (value & 0x20) {
      this.eightBitMode = (value & 0x10) !== 0
    } else if (value & 0x10) {
      this.ignoredInstructions++
    } else if (value & 0x08) {
      this.displayOn = (value & 0x04) !== 0
    } else if (value & 0x04) {
      this.increment = (value & 0x02) !== 0
    } else if (value & 0x02) {
      this.addressCounter = 0
    } else if (value & 0x01) {
      this.ddram.fill(0x20)
      this.addressCounter = 0
      this.increment = true
    }
  }

  /** In two-line mode DDRAM is 0x00-0x27 and 0x40-0x67; the counter runs from one line into the other. */
  private step(): void {
    const counter = this.addressCounter
    if (this.increment) this.addressCounter = counter === LINE_LENGTH - 1 ? 0x40 : counter === 0x40 + LINE_LENGTH - 1 ? 0x00 : counter + 1
    else this.addressCounter = counter === 0x40 ? LINE_LENGTH - 1 : counter === 0x00 ? 0x40 + LINE_LENGTH - 1 : counter - 1
  }
}
