// The dashboard's live event handlers: a page's resource hears only the event types it names (and a reset), so an
// event of another type costs it nothing and loads nothing again.

import t from 'tap'
import { LiveHandlers } from '../../web/src/live-handlers'

t.test('a handler hears the types it names and no other', async (t) => {
  const handlers = new LiveHandlers()
  const heard: string[] = []
  handlers.add(['reset', 'order.decided'], (type) => heard.push(type))
  for (const type of ['payment.settled', 'gateway.presence', 'order.decided', 'kyc.reviewed', 'doublespend.flagged', 'reset']) {
    handlers.deliver(type, {})
  }
  t.same(heard, ['order.decided', 'reset'])
  t.equal(handlers.count('payment.settled'), 0, 'nothing is held under a type the handler did not name')
  t.equal(handlers.count('order.decided'), 1)
})

t.test('removing a handler stops it under every type it named, and a type named twice is heard once', async (t) => {
  const handlers = new LiveHandlers()
  const heard: unknown[] = []
  const remove = handlers.add(['kyc.reviewed', 'kyc.reviewed', 'reset'], (_type, data) => heard.push(data))
  handlers.deliver('kyc.reviewed', 1)
  remove()
  handlers.deliver('kyc.reviewed', 2)
  handlers.deliver('reset', 3)
  t.same(heard, [1])
  t.equal(handlers.count('kyc.reviewed'), 0)
  t.equal(handlers.count('reset'), 0)
})
