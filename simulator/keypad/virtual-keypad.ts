// Keypad chips on a mock-firmata Board's I2C bus: an MPR121 capacitive pad (j5 reads its touch
// status registers 0x00-0x01, low byte first) or an I2C nano backpack (j5 reads two bytes, high
// byte first, one bit per key). Pressing a key answers j5's continuous read with the key's bit
// set, so the press goes through j5's own decoding, debounce and events.

import { once } from 'node:events'
import type { EventEmitter } from 'node:events'
import { MPR121_3X4_LABELS } from '../../hardware/keypad/johnny-five-keypad'
import type { MockFirmataBoard } from './mock-firmata-board'

const MPR121_ADDRESS_DEFAULT = 0x5a
const NANO_BACKPACK_ADDRESS_DEFAULT = 0x0a
const TOUCH_STATUS_REGISTER = 0x00

/** j5's key order on the 4x4 nano backpack (its bit order). */
const NANO_BACKPACK_4X4_LABELS: readonly string[] = ['1', '2', '3', 'A', '4', '5', '6', 'B', '7', '8', '9', 'C', '*', '0', '#', 'D']

export type VirtualKeypadChip = 'MPR121' | '4X4_I2C_NANO_BACKPACK'

type ReadHandler = (bytes: number[]) => void

export interface VirtualKeypadOptions {
  readonly chip?: VirtualKeypadChip
  readonly address?: number
  /** Labels by bit, as the driver was told (the 3x4 phone layout on an MPR121, j5's order on a backpack). */
  readonly labels?: readonly string[]
}

/** Attach before the keypad driver is built: j5 starts its continuous read in the Keypad constructor. */
export class VirtualKeypad {
  private readonly chip: VirtualKeypadChip
  private readonly address: number
  private readonly labels: readonly string[]
  private handler: ReadHandler | undefined

  constructor(private readonly board: MockFirmataBoard, options: VirtualKeypadOptions = {}) {
    this.chip = options.chip ?? 'MPR121'
    const mpr121 = this.chip === 'MPR121'
    this.address = options.address ?? (mpr121 ? MPR121_ADDRESS_DEFAULT : NANO_BACKPACK_ADDRESS_DEFAULT)
    this.labels = options.labels ?? (mpr121 ? MPR121_3X4_LABELS : NANO_BACKPACK_4X4_LABELS)
    const io = board.io
    const i2cRead = io.i2cRead.bind(io)
    io.i2cRead = (address: number, ...rest: unknown[]) => {
      // MPR121: (address, register, length, handler); backpack: (address, length, handler).
      const handler = rest[rest.length - 1]
      const ours = address === this.address && typeof handler === 'function' && (!mpr121 || rest[0] === TOUCH_STATUS_REGISTER)
      if (ours) {
        this.handler = handler as ReadHandler
        return
      }
      i2cRead(address, ...rest)
    }
  }

  /** Whether a j5 Keypad has started reading this chip. */
  get polled(): boolean {
    return this.handler !== undefined
  }

  /** Touches and releases the key with this label, as a finger does: j5 reports the touch, then the release. */
  async press(label: string): Promise<void> {
    await this.pressTogether([label])
  }

  /** Touches several keys at once (a palm on the pad), then releases them. */
  async pressTogether(labels: readonly string[]): Promise<void> {
    const mask = labels.reduce((bits, label) => {
      const bit = this.labels.indexOf(label)
      if (bit === -1) throw new Error(`no key is labelled ${JSON.stringify(label)}`)
      return bits | (1 << bit)
    }, 0)
    await this.touch(mask, 'down')
    await this.touch(0, 'up')
  }

  private async touch(mask: number, event: 'down' | 'up'): Promise<void> {
    const handler = this.handler
    if (handler === undefined) throw new Error('no keypad is reading the MPR121 yet')
    // j5 debounces its events: the finger stays until j5 has reported the change.
    const reported = once(this.keypadComponent(), event)
    handler(this.chip === 'MPR121' ? [mask & 0xff, mask >> 8] : [mask >> 8, mask & 0xff])
    await reported
  }

  private keypadComponent(): EventEmitter {
    const { Keypad } = require('johnny-five') as { Keypad: new (...args: never[]) => EventEmitter }
    const register = (this.board as unknown as { register: unknown[] }).register
    const keypad = register.find((component): component is EventEmitter => component instanceof Keypad)
    if (keypad === undefined) throw new Error('no j5 Keypad on this board')
    return keypad
  }
}
