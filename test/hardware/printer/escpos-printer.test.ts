import t from 'tap'
import { SerialPortMock } from 'serialport'
import { EscPosPrinter, PrinterError } from '../../../hardware/printer/escpos-printer'
import { ManualClock } from '../../../protocol/clock'
import { timersSet } from '../../helpers/clock'
import { VirtualPrinter } from '../../../simulator/printer/virtual-printer'
import { counterTerminal, phoneLink, phoneWithVoucher, provisionedStore } from '../../terminal/fixtures'

const PATH = '/dev/ttyPRINTER'

async function openPrinterPort(t: { teardown(fn: () => unknown): void }): Promise<{ port: SerialPortMock; device: VirtualPrinter }> {
  SerialPortMock.binding.createPort(PATH, { echo: false, record: true })
  const port = new SerialPortMock({ path: PATH, baudRate: 19200, autoOpen: false })
  await new Promise<void>((resolve, reject) => port.open(error => (error ? reject(error) : resolve())))
  t.teardown(async () => {
    if (port.isOpen) await new Promise(resolve => port.close(resolve))
    SerialPortMock.binding.reset()
  })
  return { port, device: new VirtualPrinter(port) }
}

/** Resolves once the port has carried a write whose bytes end with `tail`. */
function written(port: SerialPortMock, tail: Buffer): Promise<void> {
  return new Promise(resolve => {
    const binding = port.port!
    const check = (): void => {
      if (binding.recording.subarray(binding.recording.length - tail.length).equals(tail)) resolve()
      else setImmediate(check)
    }
    check()
  })
}

t.test('a real terminal receipt comes out as its text lines and its QR code', async t => {
  const { port, device } = await openPrinterPort(t)
  const printer = new EscPosPrinter(port, new ManualClock(0))
  const store = provisionedStore(t.testdir())
  t.teardown(() => store.close())
  const { phone } = phoneWithVoucher()
  const { terminal } = counterTerminal(store, phoneLink(phone), { printer, language: 'fr', merchantName: 'Café Élodie' })
  const outcome = await terminal.take(12_500)
  if (outcome.kind !== 'approved') throw new Error(`expected approved, got ${outcome.kind}`)
  const { receipt } = outcome
  await printer.print(receipt.text, { qrPayload: receipt.qrPayload })

  const receipts = device.receipts()
  const last = receipts[receipts.length - 1]!
  t.same(last.lines, receipt.text.trimEnd().split('\n').map(line => line.replace(/\u202f/g, ' ')), 'every line reads back, accents included')
  t.equal(last.lines[0], 'REÇU')
  t.ok(last.lines.includes('Café Élodie'))
  t.same(last.qrCodes, [receipt.qrPayload], 'the QR code stores the payload')
  const qr = device.paperItems.find(item => item.kind === 'qr')
  t.match(qr, { model: 2, errorCorrection: 'M', moduleSize: 6 })
  const title = device.paperItems.find(item => item.kind === 'line')
  t.match(title, { text: 'REÇU', bold: true, doubleHeight: true, align: 'center' })
  t.same(device.unknownCommands, [], 'every byte was a command the printer knows')
  printer.detach()
})

t.test('plain print(text) still prints and cuts, without a QR code', async t => {
  const { port, device } = await openPrinterPort(t)
  const printer = new EscPosPrinter(port, new ManualClock(0))
  await printer.print('RAPPORT DU JOUR\nTotal: 1\u202f250 XOF\n')
  t.same(device.receipts(), [{ lines: ['RAPPORT DU JOUR', 'Total: 1 250 XOF'], qrCodes: [] }])
})

t.test('no paper: PAPER_OUT before a byte of the receipt is sent', async t => {
  const { port, device } = await openPrinterPort(t)
  const printer = new EscPosPrinter(port, new ManualClock(0))
  device.paper = 'out'
  await t.rejects(printer.print('REÇU\n'), { name: 'PrinterError', code: 'PAPER_OUT' })
  t.equal(port.port!.recording.toString('hex'), '100404' + '100402', 'only the two status requests went out')
  t.same(device.paperItems, [])
  device.paper = 'near-end'
  await printer.print('REÇU\n')
  t.equal(device.receipts().length, 1, 'near the end of the roll it still prints')
  t.same(await printer.status(), { paper: 'near-end', coverOpen: false, fault: false })
})

t.test('an open cover and a printer fault are their own errors', async t => {
  const { port, device } = await openPrinterPort(t)
  const printer = new EscPosPrinter(port, new ManualClock(0))
  device.coverOpen = true
  await t.rejects(printer.print('x\n'), { code: 'COVER_OPEN' })
  device.coverOpen = false
  device.fault = true
  await t.rejects(printer.print('x\n'), { code: 'PRINTER_FAULT' })
  t.same(device.paperItems, [])
})

t.test('at most four jobs wait for the printer; a fifth is refused QUEUE_FULL at once', async t => {
  const { port, device } = await openPrinterPort(t)
  const printer = new EscPosPrinter(port, new ManualClock(0))
  const jobs = ['a', 'b', 'c', 'd'].map(text => printer.print(`${text}\n`))
  await t.rejects(printer.print('e\n'), { name: 'QueueFullError', code: 'QUEUE_FULL' })
  await Promise.all(jobs)
  t.same(device.receipts().map(receipt => receipt.lines), [['a'], ['b'], ['c'], ['d']], 'the four queued came out in order')
  await printer.print('f\n')
  t.equal(device.receipts().length, 5, 'room again once they were printed')
})

t.test('a printer that never answers the status request: NO_ANSWER, and the next job works', async t => {
  const { port, device } = await openPrinterPort(t)
  const clock = new ManualClock(0)
  const printer = new EscPosPrinter(port, clock)
  device.answersStatus = false
  const job = printer.print('x\n')
  await written(port, Buffer.from('100404', 'hex'))
  clock.advance(1_000)
  await t.rejects(job, { code: 'NO_ANSWER' })
  t.same(device.paperItems, [])
  device.answersStatus = true
  await printer.print('y\n')
  t.same(device.receipts(), [{ lines: ['y'], qrCodes: [] }])
})

t.test('a status byte with the wrong fixed bits is BAD_STATUS', async t => {
  const { port, device } = await openPrinterPort(t)
  const printer = new EscPosPrinter(port, new ManualClock(0))
  device.answersStatus = false
  const binding = port.port!
  const write = binding.write.bind(binding)
  binding.write = async buffer => {
    await write(buffer)
    binding.emitData(Buffer.of(0xff))
  }
  await t.rejects(printer.print('x\n'), { name: 'PrinterError', code: 'BAD_STATUS' })
})

t.test('a port held busy by flow control: WRITE_TIMEOUT', async t => {
  const { port, device } = await openPrinterPort(t)
  const clock = new ManualClock(0)
  const printer = new EscPosPrinter(port, clock)
  device.holdWrites()
  const job = printer.print('x\n')
  // The status request's answer timer and its write timer are both waiting.
  await timersSet(clock, 2)
  clock.advance(10_000)
  const error = await job.catch((caught: unknown) => caught)
  t.ok(error instanceof PrinterError)
  t.equal((error as PrinterError).code, 'WRITE_TIMEOUT')
  device.releaseWrites()
  await written(port, Buffer.from('100404', 'hex'))
})

t.test('a closed port is PORT_CLOSED, and a QR payload too large is BAD_CONTENT', async t => {
  const { port } = await openPrinterPort(t)
  const printer = new EscPosPrinter(port, new ManualClock(0))
  await t.rejects(printer.print('x', { qrPayload: 'x'.repeat(5000) }), { code: 'BAD_CONTENT' })
  await new Promise(resolve => port.close(resolve))
  await t.rejects(printer.print('x\n'), { code: 'PORT_CLOSED' })
})
