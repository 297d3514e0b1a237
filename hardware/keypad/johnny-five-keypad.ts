// The counter keypad through johnny-five's Keypad: its I2C controllers (the MPR121 capacitive
// keypads and the 3x4 / 4x4 I2C nano backpacks) on a Board the caller opened. j5 reports key
// labels; a keymap turns them into the terminal's keys, and presses wait in a bounded queue.

import type { EventEmitter } from 'node:events'
import { isKey, type Key, type Keypad } from '../devices'
import { KeypadError, KeyQueue } from './key-queue'



const KEYPAD_CONTROLLERS = [
  'MPR121', 'MPR121_KEYPAD', 'MPR121_SHIELD', 'MPR121QR2', '3X4_I2C_NANO_BACKPACK', '4X4_I2C_NANO_BACKPACK',
] as const
type KeypadController = (typeof KEYPAD_CONTROLLERS)[number]

/** A j5 key label (as j5 reports it, stringified) to the terminal's key. */
export type KeyMap = Readonly<Record<string, Key>>

/** Phone-style pads: `*` cancels, `#` enters; on 4x4 pads A erases a digit, B clears, C cancels, D enters. */
const DEFAULT_KEYMAP: KeyMap = Object.freeze({
  0: '0', 1: '1', 2: '2', 3: '3', 4: '4', 5: '5', 6: '6', 7: '7', 8: '8', 9: '9',
  '*': 'cancel', '#': 'enter', A: 'backspace', B: 'clear', C: 'cancel', D: 'enter',
})

/** The 3x4 layout of a 12-electrode MPR121 pad, electrode 0 first (j5 names MPR121 electrodes 0-11 otherwise). */
export const MPR121_3X4_LABELS: readonly string[] = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#']

/** What the driver needs of a johnny-five Board: j5 attaches components to it. */
export interface JohnnyFiveBoard {
  readonly io: unknown
}

export interface JohnnyFiveKeypadOptions {
  readonly controller: KeypadController
  /** I2C address; j5's default for the controller when absent (MPR121 0x5A, backpacks 0x0A). */
  readonly address?: number
  /** Labels by electrode / key index, for pads wired in another order. */
  readonly labels?: readonly string[]
  readonly keymap?: KeyMap
  readonly queueCapacity?: number
}

/** Checks a keymap from a config file: every value must be a terminal key. */
export function parseKeyMap(input: unknown): KeyMap {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new KeypadError('BAD_KEYMAP', 'a keymap is an object from key labels to keys')
  }
  const keymap: Record<string, Key> = {}
  for (const [label, key] of Object.entries(input)) {
    if (!isKey(key)) throw new KeypadError('BAD_KEYMAP', `label ${JSON.stringify(label)} maps to ${JSON.stringify(key)}, not a key`)
    keymap[label] = key
  }
  return Object.freeze(keymap)
}

interface KeypadEvent {
  readonly which: ReadonlyArray<string | number>
}

export class JohnnyFiveKeypad implements Keypad {
  private readonly queue: KeyQueue
  private readonly keymap: KeyMap
  private readonly component: EventEmitter
  /** Labels pressed that the keymap does not know: a miswired pad or a wrong keymap shows here. */
  unmappedPresses = 0
  private readonly onPress = (event: KeypadEvent): void => {
    for (const label of event.which) {
      const key = this.keymap[String(label)]
      if (key === undefined) this.unmappedPresses++
      else this.queue.push(key)
    }
  }

  constructor(board: JohnnyFiveBoard, options: JohnnyFiveKeypadOptions) {
    if (!(KEYPAD_CONTROLLERS as readonly string[]).includes(options.controller)) {
      throw new KeypadError('BAD_OPTIONS', `unknown keypad controller ${JSON.stringify(options.controller)}`)
    }
    this.keymap = parseKeyMap(options.keymap ?? DEFAULT_KEYMAP)
    this.queue = new KeyQueue(options.queueCapacity)
    const labels = options.labels ?? (options.controller.startsWith('MPR121') ? MPR121_3X4_LABELS : undefined)
    // johnny-five ships no type declarations.
    const { Keypad } = require('johnny-five') as { Keypad: new (options: object) => EventEmitter }
    this.component = new Keypad({
      controller: options.controller,
      board,
      ...(options.address !== undefined && { address: options.address }),
      ...(labels !== undefined && { keys: [...labels] }),
    })
    // 'down' is j5's first name for a press; 'hold' repeats are not extra digits.
    this.component.on('down', this.onPress)
  }

  nextKey(): Promise<Key> {
    return this.queue.next()
  }

  /** Stops listening; waiting reads fail with CLOSED. The board stays the caller's. */
  close(): void {
    this.component.removeListener('down', this.onPress)
    this.queue.close()
  }
}
