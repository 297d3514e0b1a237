import t from 'tap'
import fc from 'fast-check'
import { ReplayCache } from '../../../hub/mqtt/replay-cache'

const SEED = 20250101

t.test('behaves like an unbounded map with exact expiry, refusing additions only when full', async (t) => {
  const operation = fc.oneof(
    fc.record({ kind: fc.constant('add' as const), key: fc.integer({ min: 0, max: 30 }), lifetime_ms: fc.integer({ min: 0, max: 50 }) }),
    fc.record({ kind: fc.constant('advance' as const), delta_ms: fc.integer({ min: 0, max: 20 }) }),
  )
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 8 }), fc.array(operation, { maxLength: 200 }), (entriesMax, operations) => {
      const cache = new ReplayCache(entriesMax)
      const model = new Map<string, number>()
      let nowMs = 0
      for (const op of operations) {
        if (op.kind === 'advance') {
          nowMs += op.delta_ms
          continue
        }
        cache.evictExpired(nowMs)
        for (const [key, expiresAtMs] of model) if (expiresAtMs < nowMs) model.delete(key)
        const key = String(op.key)
        if (model.has(key) !== cache.has(key)) return false
        if (model.has(key)) continue
        const added = cache.add(key, nowMs + op.lifetime_ms)
        if (added !== model.size < entriesMax) return false
        if (added) model.set(key, nowMs + op.lifetime_ms)
        if (cache.size !== model.size || cache.size > entriesMax) return false
      }
      return true
    }),
    { seed: SEED, numRuns: 500 },
  )
  t.pass('500 operation sequences agree with the model')
})

t.test('evicts in expiry order, not insertion order', async (t) => {
  const cache = new ReplayCache(3)
  t.ok(cache.add('late', 100))
  t.ok(cache.add('early', 10))
  t.ok(cache.add('middle', 50))
  cache.evictExpired(51)
  t.same(['late', 'early', 'middle'].map((key) => cache.has(key)), [true, false, false])
  cache.evictExpired(100)
  t.ok(cache.has('late'), 'kept through its expiry instant')
})

t.test('refuses a non-positive bound', async (t) => {
  for (const entriesMax of [0, -1, 2.5]) t.throws(() => new ReplayCache(entriesMax), { code: 'INVALID_OPTIONS' })
})
