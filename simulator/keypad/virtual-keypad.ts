// An MPR121 capacitive keypad on a mock-firmata Board's I2C bus. j5's Keypad reads the touch
// status registers (0x00-0x01) continuously; pressing a key here answers that read with the
// electrode's bit set, so the press goes through j5's own decoding, debounce and events.

import { once } from 'node:events'
import type { EventEmitter } from 'node:events'
import { MPR121_3X4_LABELS } from '../../hardware/keypad/johnny-five-keypad'
import type { MockFirmataBoard } from './mock-firmata-board'

export const MPR121_ADDRESS_DEFAULT = 0x5a
const TOUCH_STATUS_REGISTER = 0x00

type ReadHandler = (bytes: number[]) => void

export interface VirtualMpr121Options {
  readonly address?: number
  /** Labels by electrode, as the driver was told (the 3x4 phone layout by default). */
  readonly labels?: readonly string[]
}

export class VirtualMpr121 {
  private readonly address: number
  private readonly labels: readonly string[]
  private handler: ReadHandler | undefined
  private touched = 0

  constructor(private readonly board: MockFirmataBoard, options: VirtualMpr121Options = {}) {
    this.address = options.address ?? MPR121_ADDRESS_DEFAULT
    this.labels = options.labels ?? MPR121_3X4_LABELS
    const io = board.io
    const i2cRead = io.i2cRead.bind(io)
    io.i2cRead = (address: number, ...rest: unknown[]) => {
      const [register, , handler] = rest
      if (address === this.address && register === TOUCH_STATUS_REGISTER && typeof handler === 'function') {
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
    const electrode = this.labels.indexOf(label)
    if (electrode === -1) throw new Error(`no electrode is labelled ${JSON.stringify(label)}`)
    await this.touch(1 << electrode, 'down')
    await this.touch(0, 'up')
  }

  /** Touches several electrodes at once (a palm on the pad), then releases them. */
  async pressTogether(labels: readonly string[]): Promise<void> {
    const mask = labels.reduce((bits, label) => bits | (1 << this.labels.indexOf(label)), 0)
    await this.touch(mask, 'down')
    await this.touch(0, 'up')
  }

  private async touch(mask: number, event: 'down' | 'up'): Promise<void> {
    const handler = this.handler
    if (handler === undefined) throw new Error('no keypad is reading the MPR121 yet')
    // j5 debounces its events: the finger stays until j5 has reported the change.
    const reported = once(this.keypadComponent(), event)
    this.touched = mask
    handler([this.touched & 0xff, this.touched >> 8])
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
