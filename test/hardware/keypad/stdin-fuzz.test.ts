import t from 'tap'
import fc from 'fast-check'
import { isKey } from '../../../hardware/devices'
import { keysOfInput } from '../../../hardware/keypad/stdin-keypad'

t.test('any terminal bytes give only keys, never a throw', async t => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), bytes => keysOfInput(bytes).every(isKey)), { seed: 6, numRuns: 5_000 })
  t.pass('5 000 seeded runs')
})
