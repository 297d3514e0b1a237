// The keys a merchant pressed and nobody has read yet: a bounded queue behind `nextKey()`, shared
// by every keypad driver. A press is never silently dropped: when the queue overflows (keys
// mashed while the terminal was busy) the keys held are discarded together and the next read
// fails with OVERFLOW, because an amount typed with a digit missing is worse than no amount.

import { CodedError } from '../../protocol/errors'
import type { Key } from '../devices'

export type KeypadErrorCode = 'OVERFLOW' | 'CLOSED' | 'BAD_KEYMAP' | 'BAD_OPTIONS'

export class KeypadError extends CodedError<KeypadErrorCode> {
  override readonly name = 'KeypadError'
}

const KEY_QUEUE_CAPACITY_DEFAULT = 32

interface Reader {
  resolve(key: Key): void
  reject(error: KeypadError): void
}

export class KeyQueue {
  private readonly keys: Key[] = []
  private readonly readers: Reader[] = []
  private overflowed = false
  /** No key will come any more: the keypad was closed or its input ended. */
  private ended = false

  constructor(readonly capacity: number = KEY_QUEUE_CAPACITY_DEFAULT) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new KeypadError('BAD_OPTIONS', `queue capacity must be a positive integer, got ${capacity}`)
  }

  get length(): number {
    return this.keys.length
  }

  push(key: Key): void {
    if (this.ended) return
    const reader = this.readers.shift()
    if (reader !== undefined) {
      reader.resolve(key)
      return
    }
    if (this.overflowed) return
    if (this.keys.length >= this.capacity) {
      this.keys.length = 0
      this.overflowed = true
      return
    }
    this.keys.push(key)
  }

  next(): Promise<Key> {
    if (this.overflowed) {
      this.overflowed = false
      return Promise.reject(new KeypadError('OVERFLOW', `more than ${this.capacity} keys were pressed before any was read; they were discarded`))
    }
    const key = this.keys.shift()
    if (key !== undefined) return Promise.resolve(key)
    if (this.ended) return Promise.reject(new KeypadError('CLOSED', 'the keypad is closed'))
    return new Promise((resolve, reject) => this.readers.push({ resolve, reject }))
  }

  /** The input ended: keys already pressed can still be read, then reads fail with CLOSED. */
  end(): void {
    this.ended = true
    for (const reader of this.readers.splice(0)) reader.reject(new KeypadError('CLOSED', 'the keypad input ended'))
  }

  /** Discards the keys held and fails every read with CLOSED; later presses are ignored. */
  close(): void {
    this.keys.length = 0
    this.overflowed = false
    this.end()
  }
}
