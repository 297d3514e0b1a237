// A development keypad on a terminal or any readable stream: digits, Backspace or Delete to erase,
// `c` to clear, Enter, and Esc or `q` to cancel. On a TTY it switches to raw mode so each key
// arrives as pressed, and puts the mode back on close.

import type { Readable } from 'node:stream'
import type { Key, Keypad } from '../devices'
import { KeyQueue } from './key-queue'



/** The TTY side of stdin, when it is one. */
interface RawModeStream extends Readable {
  readonly isTTY?: boolean
  readonly isRaw?: boolean
  setRawMode?(mode: boolean): unknown
}

export interface StdinKeypadOptions {
  readonly queueCapacity?: number
  /** Raw mode turns Ctrl-C into a byte; this runs on it (the default raises SIGINT, as a cooked terminal would). */
  readonly onInterrupt?: () => void
}

const ESC = 0x1b
const CTRL_C = 0x03
const BACKSPACE = 0x08
const DEL = 0x7f
const CR = 0x0d
const LF = 0x0a

/**
 * The keys in one chunk of terminal input. Escape sequences (arrows, function keys) are skipped
 * whole; `ESC [ 3 ~` is the Delete key; an ESC that starts no sequence is the Esc key.
 */
export function keysOfInput(bytes: Uint8Array, onInterrupt: () => void = () => undefined): Key[] {
  const keys: Key[] = []
  for (let index = 0; index < bytes.length; index++) {
    const byte = bytes[index]!
    if (byte >= 0x30 && byte <= 0x39) keys.push(String.fromCharCode(byte) as Key)
    else if (byte === BACKSPACE || byte === DEL) keys.push('backspace')
    else if (byte === 0x63 || byte === 0x43) keys.push('clear') // c, C
    else if (byte === 0x71 || byte === 0x51) keys.push('cancel') // q, Q
    else if (byte === CR) {
      keys.push('enter')
      if (bytes[index + 1] === LF) index++
    } else if (byte === LF) keys.push('enter')
    else if (byte === CTRL_C) onInterrupt()
    else if (byte === ESC) {
      const introducer = bytes[index + 1]
      if (introducer === 0x5b) { // CSI: parameters until a final byte 0x40-0x7E
        let end = index + 2
        while (end < bytes.length && (bytes[end]! < 0x40 || bytes[end]! > 0x7e)) end++
        const sequence = Buffer.from(bytes.subarray(index + 2, end + 1)).toString('latin1')
        if (sequence === '3~') keys.push('backspace')
        index = end
      } else if (introducer === 0x4f) { // SS3: one more byte (F1-F4, keypad keys in application mode)
        index += 2
      } else {
        keys.push('cancel')
      }
    }
  }
  return keys
}

export class StdinKeypad implements Keypad {
  private readonly queue: KeyQueue
  private readonly rawModeBefore: boolean | undefined
  private readonly onData = (chunk: Buffer | string): void => {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk
    for (const key of keysOfInput(bytes, this.onInterrupt)) this.queue.push(key)
  }
  private readonly onInterrupt: () => void
  /** A piped input that runs out, or a terminal that hangs up: no key will come. */
  private readonly onEnd = (): void => this.queue.end()

  constructor(private readonly input: RawModeStream, options: StdinKeypadOptions = {}) {
    this.queue = new KeyQueue(options.queueCapacity)
    this.onInterrupt = options.onInterrupt ?? (() => process.kill(process.pid, 'SIGINT'))
    if (input.isTTY === true && typeof input.setRawMode === 'function') {
      this.rawModeBefore = input.isRaw === true
      input.setRawMode(true)
    }
    input.on('data', this.onData)
    input.on('end', this.onEnd)
    input.resume()
  }

  nextKey(): Promise<Key> {
    return this.queue.next()
  }

  /** Stops reading, restores the terminal's mode, and fails waiting reads with CLOSED. */
  close(): void {
    this.input.off('data', this.onData)
    this.input.off('end', this.onEnd)
    this.input.pause()
    if (this.rawModeBefore !== undefined) this.input.setRawMode!(this.rawModeBefore)
    this.queue.close()
  }
}
