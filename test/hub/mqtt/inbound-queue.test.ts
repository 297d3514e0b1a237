import t from 'tap'
import { InboundQueue } from '../../../hub/mqtt/inbound-queue'

/** A handler the test releases message by message. */
function gatedHandler() {
  const handled: string[] = []
  const gates: Array<() => void> = []
  let running = 0
  let overlapped = false
  return {
    handled,
    get overlapped() {
      return overlapped
    },
    handle: (message: string): Promise<void> => {
      running++
      if (running > 1) overlapped = true
      return new Promise<void>(resolve => gates.push(resolve)).then(() => {
        running--
        handled.push(message)
      })
    },
    /** Lets the message in hand finish, once its handler has started. */
    async releaseNext(): Promise<void> {
      while (gates.length === 0) await new Promise(resolve => setImmediate(resolve))
      gates.shift()!()
    },
  }
}

t.test('handles messages one at a time, in the order offered, and drained() waits for the last', async t => {
  const handler = gatedHandler()
  const queue = new InboundQueue<string>(10, 1_000, handler.handle)
  for (const message of ['m0', 'm1', 'm2']) t.ok(queue.offer(message, 1))
  let drained = false
  const draining = queue.drained().then(() => {
    drained = true
  })
  for (let index = 0; index < 3; index++) await handler.releaseNext()
  await draining
  t.ok(drained)
  t.same(handler.handled, ['m0', 'm1', 'm2'])
  t.notOk(handler.overlapped, 'never two at once')
})

t.test('past messagesMax (the message in hand counts) a message is refused and nothing is queued', async t => {
  const handler = gatedHandler()
  const queue = new InboundQueue<string>(2, 1_000, handler.handle)
  t.ok(queue.offer('m0', 1), 'taken and handled at once')
  t.ok(queue.offer('m1', 1), 'waits behind it')
  t.notOk(queue.offer('m2', 1), 'a third would pass the bound')
  t.equal(queue.messages, 2)
  await handler.releaseNext()
  await handler.releaseNext()
  await queue.drained()
  t.same(handler.handled, ['m0', 'm1'], 'the refused message was never handled')
  t.ok(queue.offer('m3', 1), 'with room again, a message is taken')
  await handler.releaseNext()
  await queue.drained()
  t.same(handler.handled, ['m0', 'm1', 'm3'])
})

t.test('past bytesMax (of the messages waiting) a message is refused; bytes free up as handling starts', async t => {
  const handler = gatedHandler()
  const queue = new InboundQueue<string>(10, 100, handler.handle)
  t.ok(queue.offer('big', 100), 'handling starts at once: its bytes no longer wait')
  await new Promise(resolve => setImmediate(resolve))
  t.equal(queue.bytes, 0)
  t.ok(queue.offer('waiting', 60))
  t.notOk(queue.offer('too much', 41), '60 + 41 bytes would wait')
  t.equal(queue.bytes, 60, 'the refused one left no bytes counted')
  t.ok(queue.offer('fits', 40))
  for (let index = 0; index < 3; index++) await handler.releaseNext()
  await queue.drained()
  t.same(handler.handled, ['big', 'waiting', 'fits'])
  t.equal(queue.bytes, 0)
})
