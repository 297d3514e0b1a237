// A Map kept in least-recently-used order under a bound: for caches of facts that do not change
// (a key's KeyObject, the user an account belongs to), so forgetting one only costs a lookup.

import { assert } from './errors'

/** A Map kept in least-recently-used order that never holds more than `entriesMax` entries. */
export class BoundedLruCache<Value> {
  private readonly entries = new Map<string, Value>()

  constructor(private readonly entries_max: number) {
    assert(Number.isSafeInteger(entries_max) && entries_max > 0, 'cache bound is a positive integer')
  }

  get(key: string): Value | undefined {
    const value = this.entries.get(key)
    if (value === undefined) return undefined
    // Map iterates in insertion order, so re-inserting marks the entry most recently used.
    this.entries.delete(key)
    this.entries.set(key, value)
    return value
  }

  set(key: string, value: Value): void {
    this.entries.delete(key)
    this.entries.set(key, value)
    if (this.entries.size > this.entries_max) {
      const leastRecentlyUsed = this.entries.keys().next().value as string
      this.entries.delete(leastRecentlyUsed)
    }
    assert(this.entries.size <= this.entries_max, 'cache stays within its bound')
  }
}
