import t from 'tap'
import type { AnchorChain } from '../../../hub/anchor/chain'
import { anchorWorld } from './world'

const TICK_MS = 1_000

t.test('a started service ticks on its clock: nothing before the interval, a seal at it, nothing once stopped', async t => {
  const w = anchorWorld(t)
  const [id] = await w.settle(3)
  const service = w.service({ tickInterval_ms: TICK_MS })
  service.start()
  await w.clock.run(TICK_MS - 1)
  await service.idle()
  t.equal(await w.store.leafOf(id!), undefined, 'not sealed before the first tick')
  await w.clock.run(1)
  await service.idle()
  t.match(await w.store.batch((await w.store.leafOf(id!))!.batchId), { count: 3 }, 'the first tick seals what is due')
  await service.stop()
  t.equal(w.clock.pendingTimers, 0, 'stopping cancels the next tick')
  await w.settle(1)
  await w.clock.run(10 * TICK_MS)
  t.equal(await w.store.batch(2), undefined, 'a stopped service seals nothing more')
})

t.test('ticks never overlap: the next interval is counted from the end of a slow tick', async t => {
  const w = anchorWorld(t)
  await w.settle(1)
  const connecting: Array<(error: Error) => void> = []
  const service = w.service({ tickInterval_ms: TICK_MS, backoffBase_ms: 2 * TICK_MS }, () =>
    new Promise<AnchorChain>((_resolve, reject) => connecting.push(reject)))
  t.teardown(() => service.stop())
  service.start()
  await w.clock.run(TICK_MS)
  t.equal(connecting.length, 1, 'the first tick is waiting for the chain')
  await w.clock.run(20 * TICK_MS)
  t.equal(connecting.length, 1, 'no second tick starts while it waits')
  t.equal(w.clock.pendingTimers, 0, 'and none is scheduled')
  connecting[0]!(new Error('the node is down'))
  await w.clock.run(0)
  t.equal(w.clock.pendingTimers, 1, 'once it ends, the next tick is scheduled')
  // The failure put the service in its backoff, two intervals long: the next tick does not connect.
  await w.clock.run(TICK_MS)
  t.equal(connecting.length, 1, 'backing off, the tick after the failure does not connect')
  await w.clock.run(TICK_MS)
  t.equal(connecting.length, 2, 'the one after the backoff connects again')
  connecting[1]!(new Error('still down'))
})
