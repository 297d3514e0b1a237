// A johnny-five Board on mock-firmata: j5's own component code runs with no hardware, and the
// emulated I2C devices (the keypad's MPR121, the LCD's PCF8574 backpack) sit on its io.

import type { JohnnyFiveBoard } from '../../hardware/keypad/johnny-five-keypad'

/** The I2C calls j5 components make on a Firmata io, as the emulators hook them. */
interface MockFirmataIo {
  i2cConfig(...args: unknown[]): void
  i2cWrite(address: number, ...rest: unknown[]): void
  i2cRead(address: number, ...rest: unknown[]): void
  emit(event: string, ...args: unknown[]): boolean
}

export interface MockFirmataBoard extends JohnnyFiveBoard {
  readonly io: MockFirmataIo
}

// Neither package ships type declarations.
const { Firmata } = require('mock-firmata') as { Firmata: new () => MockFirmataIo }
const { Board } = require('johnny-five') as { Board: new (options: object) => MockFirmataBoard }

/** A ready Board (connect and ready already emitted), without REPL or debug output. */
export function openMockFirmataBoard(): MockFirmataBoard {
  const io = new Firmata()
  const board = new Board({ io, debug: false, repl: false, sigint: false })
  io.emit('connect')
  io.emit('ready')
  return board
}
