import t from 'tap'
import fc from 'fast-check'
import { BleError, FrameAssembler, frameChunks, RESPONSE_MAX_BYTES } from '../../../hardware/ble/payall-service'

t.test('any notifications: a message within the bound, nothing yet, or a BleError; never anything else', async t => {
  fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 80 }), chunks => {
    const assembler = new FrameAssembler(RESPONSE_MAX_BYTES)
    for (const chunk of chunks) {
      try {
        const message = assembler.push(chunk)
        if (message !== undefined && (message.length === 0 || message.length > RESPONSE_MAX_BYTES)) return false
      } catch (error) {
        if (!(error instanceof BleError) || !['BAD_FRAME', 'TOO_LARGE'].includes(error.code)) return false
        return true
      }
    }
    return true
  }), { seed: 6, numRuns: 2_000 })
  t.pass('2 000 seeded runs')
})

t.test('any message at any MTU reassembles to itself', async t => {
  fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: RESPONSE_MAX_BYTES }), fc.integer({ min: 23, max: 517 }), (message, mtu) => {
    const assembler = new FrameAssembler(RESPONSE_MAX_BYTES)
    const chunks = frameChunks(message, mtu, RESPONSE_MAX_BYTES)
    const results = chunks.map(chunk => assembler.push(chunk))
    const last = results.pop()
    return results.every(result => result === undefined) && last !== undefined && Buffer.from(last).equals(Buffer.from(message))
      && chunks.every(chunk => chunk.length <= mtu - 3)
  }), { seed: 6, numRuns: 300 })
  t.pass('300 seeded runs')
})
