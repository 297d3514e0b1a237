import t from 'tap'
import { QueueFullError, SerialQueue } from '../../protocol/serial-queue'

t.test('jobs run one at a time, in the order they came', async t => {
  const queue = new SerialQueue(10)
  const events: string[] = []
  const job = (name: string, turns: number) => async () => {
    events.push(`${name} start`)
    for (let i = 0; i < turns; i++) await Promise.resolve()
    events.push(`${name} end`)
    return name
  }
  const results = await Promise.all([queue.run(job('a', 5)), queue.run(job('b', 0)), queue.run(job('c', 2))])
  t.same(results, ['a', 'b', 'c'])
  t.same(events, ['a start', 'a end', 'b start', 'b end', 'c start', 'c end'])
  t.equal(queue.length, 0)
})

t.test("a job's failure is its caller's alone: the next job still runs", async t => {
  const queue = new SerialQueue(10)
  const failing = queue.run(() => { throw new Error('boom') })
  const next = queue.run(() => 'after')
  await t.rejects(failing, { message: 'boom' })
  t.equal(await next, 'after')
})

t.test('past its bound a job is refused at once, and room comes back as jobs finish', async t => {
  const queue = new SerialQueue(2, 'the test queue')
  let release: () => void = () => undefined
  const first = queue.run(() => new Promise<void>(resolve => { release = resolve }))
  const second = queue.run(() => 'second')
  let ran = false
  const refused = queue.run(() => { ran = true })
  await t.rejects(refused, { code: 'QUEUE_FULL', message: /the test queue already holds 2 jobs/ })
  t.ok((await refused.catch(error => error)) instanceof QueueFullError)
  t.notOk(ran, 'the refused job never ran')
  t.equal(queue.length, 2)
  release()
  await first
  t.equal(await second, 'second')
  t.equal(await queue.run(() => 'room again'), 'room again')
})
