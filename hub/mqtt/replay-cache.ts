// A bounded set of keys that each expire at their own time: the memory of which gateway
// password nonces were already used. A min-heap on expiry makes eviction exact and O(log n).

import { assert } from '../../protocol/errors'
import { MqttError } from './errors'

interface Entry {
  readonly key: string
  readonly expiresAtMs: number
}

export class ReplayCache {
  private readonly expiryByKey = new Map<string, number>()
  /** Binary min-heap on expiresAtMs; holds exactly the keys of expiryByKey. */
  private readonly heap: Entry[] = []

  constructor(readonly entriesMax: number) {
    if (!Number.isSafeInteger(entriesMax) || entriesMax <= 0) {
      throw new MqttError('INVALID_OPTIONS', `entriesMax must be a positive integer, got ${entriesMax}`)
    }
  }

  get size(): number {
    return this.expiryByKey.size
  }

  has(key: string): boolean {
    return this.expiryByKey.has(key)
  }

  /** Forgets every key whose expiry is strictly before nowMs. */
  evictExpired(nowMs: number): void {
    while (this.heap.length > 0 && this.heap[0]!.expiresAtMs < nowMs) {
      const oldest = this.popMinimum()
      this.expiryByKey.delete(oldest.key)
    }
    assert(this.heap.length === this.expiryByKey.size, 'replay heap and index hold the same keys')
  }

  /**
   * Remembers a new key until expiresAtMs. False, and nothing stored, when the cache is full:
   * the caller must refuse rather than forget a live key, or that key could be replayed.
   */
  add(key: string, expiresAtMs: number): boolean {
    assert(!this.expiryByKey.has(key), 'a key is added once')
    if (this.expiryByKey.size >= this.entriesMax) return false
    this.expiryByKey.set(key, expiresAtMs)
    this.pushEntry({ key, expiresAtMs })
    assert(this.expiryByKey.size <= this.entriesMax, 'replay cache stays within its bound')
    return true
  }

  private pushEntry(entry: Entry): void {
    const heap = this.heap
    heap.push(entry)
    let index = heap.length - 1
    while (index > 0) {
      const parent = (index - 1) >> 1
      if (heap[parent]!.expiresAtMs <= entry.expiresAtMs) break
      heap[index] = heap[parent]!
      index = parent
    }
    heap[index] = entry
  }

  private popMinimum(): Entry {
    const heap = this.heap
    const minimum = heap[0]!
    const last = heap.pop()!
    if (heap.length === 0) return minimum
    let index = 0
    for (;;) {
      const left = 2 * index + 1
      if (left >= heap.length) break
      const right = left + 1
      const smaller = right < heap.length && heap[right]!.expiresAtMs < heap[left]!.expiresAtMs ? right : left
      if (heap[smaller]!.expiresAtMs >= last.expiresAtMs) break
      heap[index] = heap[smaller]!
      index = smaller
    }
    heap[index] = last
    return minimum
  }
}
