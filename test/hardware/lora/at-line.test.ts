import t from 'tap'
import fc from 'fast-check'
import { AtLine, type LineNoise } from '../../../hardware/lora/at-line'
import { LoraError } from '../../../hardware/lora/modem'
import { ManualClock } from '../../../protocol/clock'
import { timersSet } from '../../helpers/clock'
import { openMockPort, whenOpen, written } from './fixtures'

async function setup(t: { teardown(fn: () => unknown): void }, lineMax_chars?: number) {
  const port = await openMockPort(t, 115_200)
  await whenOpen(port)
  const unsolicited: string[] = []
  const noise: LineNoise[] = []
  const clock = new ManualClock(0)
  const line = new AtLine(port, clock, {
    onUnsolicited: (text) => unsolicited.push(text),
    onNoise: (event) => noise.push(event),
    ...(lineMax_chars !== undefined ? { lineMax_chars } : {}),
  })
  t.teardown(() => line.close())
  const device = (text: string | Buffer) => port.port!.emitData(typeof text === 'string' ? Buffer.from(text, 'latin1') : text)
  /** Lets the mock port's nextTick reads and the stream's data events run. */
  const settle = () => new Promise<void>((resolve) => setImmediate(resolve))
  return { port, line, unsolicited, noise, clock, device, settle }
}

t.test('splits CR LF and bare LF lines across chunks, trims noise at the ends, skips empty lines', async (t) => {
  const { unsolicited, device, settle } = await setup(t)
  device('+EVT:JOI')
  device('NED\r\n\r\n\nOK\n\x00\xffAT+DR=3\x80\r')
  device('\n  \r\n')
  await settle()
  t.same(unsolicited, ['+EVT:JOINED', 'OK', 'AT+DR=3'])
})

t.test('an overlong line is dropped with a noise event and the next line is read', async (t) => {
  const { unsolicited, noise, device, settle } = await setup(t, 16)
  device('0123456789')
  device('0123456789')
  device('ABC\r\nOK\r\n')
  device('x'.repeat(40) + '\r\nAT_BUSY_ERROR\r\n')
  await settle()
  t.same(unsolicited, ['OK', 'AT_BUSY_ERROR'])
  t.same(noise.map((event) => event.kind), ['overlong', 'overlong'])
})

t.test('one command at a time: the second is written only when the first has its reply', async (t) => {
  const { port, line, device, settle } = await setup(t)
  const first = line.exclusive(async (session) => {
    await session.write('AT+ONE')
    return session.expect(1_000, (text) => (text === 'ONE' ? text : undefined))
  })
  const second = line.exclusive(async (session) => {
    await session.write('AT+TWO')
    return session.expect(1_000, (text) => (text === 'TWO' ? text : undefined))
  })
  await settle()
  t.equal(written(port), 'AT+ONE\r\n')
  device('ONE\r\n')
  t.equal(await first, 'ONE')
  await settle()
  t.equal(written(port), 'AT+ONE\r\nAT+TWO\r\n')
  device('TWO\r\n')
  t.equal(await second, 'TWO')
})

t.test('lines a command passes over, and those left when it ends, go to the unsolicited listener', async (t) => {
  const { line, unsolicited, device } = await setup(t)
  const result = line.exclusive(async (session) => {
    await session.write('AT+SEND=2:AA')
    return session.expect(1_000, (text) => (text === 'OK' ? true : undefined))
  })
  device('+EVT:RX_1:-40:9:UNICAST:2:AA\r\nOK\r\n+EVT:TX_DONE\r\n')
  t.equal(await result, true)
  t.same(unsolicited, ['+EVT:RX_1:-40:9:UNICAST:2:AA', '+EVT:TX_DONE'])
})

t.test('a reply read that throws fails the command with that error', async (t) => {
  const { line, device } = await setup(t)
  const result = line.exclusive(async (session) => {
    await session.write('AT')
    return session.expect(1_000, (text) => {
      if (text === 'AT_PARAM_ERROR') throw new LoraError('REFUSED', text)
      return undefined
    })
  })
  device('AT_PARAM_ERROR\r\n')
  await t.rejects(result, { code: 'REFUSED' })
})

t.test('the timeout fails the command with NO_ANSWER and later commands still run', async (t) => {
  const { line, clock, device } = await setup(t)
  const silent = line.exclusive(async (session) => {
    await session.write('AT')
    return session.expect(750, () => true)
  })
  await timersSet(clock)
  clock.advance(749)
  t.equal(clock.pendingTimers, 1, 'still waiting at 749 ms')
  clock.advance(1)
  await t.rejects(silent, { code: 'NO_ANSWER' })
  const next = line.exclusive(async (session) => {
    await session.write('AT')
    return session.expect(750, (text) => text)
  })
  device('OK\r\n')
  t.equal(await next, 'OK')
})

t.test('at most 16 commands queue, the running one included; more are refused BUSY at once', async (t) => {
  const { line, clock } = await setup(t)
  const running = line.exclusive(async (session) => session.expect(1_000, () => true))
  const waiting = Array.from({ length: 15 }, () => line.exclusive(async () => 'ran'))
  await t.rejects(line.exclusive(async () => 'ran'), { code: 'BUSY' })
  await timersSet(clock)
  clock.advance(1_000)
  await t.rejects(running, { code: 'NO_ANSWER' })
  t.same(await Promise.all(waiting), Array(15).fill('ran'))
  t.equal(await line.exclusive(async () => 'ran'), 'ran', 'room again once the queue drained')
})

t.test('the port closing fails the command in progress and every later one with CLOSED', async (t) => {
  const { port, line } = await setup(t)
  const pending = line.exclusive(async (session) => session.expect(1_000, () => true))
  await new Promise<void>((resolve) => port.close(() => resolve()))
  await t.rejects(pending, { code: 'CLOSED' })
  await t.rejects(line.exclusive(async () => true), { code: 'CLOSED' })
  t.equal(line.closed, true)
})

t.test('refuses a port that is not open', async (t) => {
  const port = await openMockPort(t, 115_200)
  await whenOpen(port)
  await new Promise<void>((resolve) => port.close(() => resolve()))
  t.throws(() => new AtLine(port, new ManualClock(0), { onUnsolicited: () => undefined }), { code: 'CLOSED' })
})

t.test('any bytes at all: no throw, and a clean OK afterwards is still read', async (t) => {
  const { line, device, settle, unsolicited } = await setup(t, 64)
  await fc.assert(
    fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 8 }), async (chunks) => {
      for (const chunk of chunks) device(Buffer.from(chunk))
      await settle()
      const reply = line.exclusive(async (session) => session.expect(1_000, (text) => (text === 'OK-MARK' ? text : undefined)))
      device('\r\nOK-MARK\r\n')
      t.equal(await reply, 'OK-MARK')
      for (const text of unsolicited) if (text.length > 64) throw new Error(`line of ${text.length} chars`)
    }),
    { seed: 6, numRuns: 200 },
  )
})
