// The counter with every driver of this folder's siblings at once: the amount keyed on a j5
// MPR121 pad, shown on a j5 LCD, paid by a phone over BLE, printed on an ESC/POS printer.

import t from 'tap'
import { SerialPortMock } from 'serialport'
import { BlePhoneLink } from '../../../hardware/ble/ble-phone-link'
import { LcdDisplay } from '../../../hardware/display/lcd-display'
import { JohnnyFiveKeypad } from '../../../hardware/keypad/johnny-five-keypad'
import { EscPosPrinter } from '../../../hardware/printer/escpos-printer'
import { ManualClock } from '../../../protocol/clock'
import { FakeBleAdapter } from '../../../simulator/ble/fake-noble'
import { VirtualLcd } from '../../../simulator/display/virtual-lcd'
import { openMockFirmataBoard } from '../../../simulator/keypad/mock-firmata-board'
import { VirtualKeypad } from '../../../simulator/keypad/virtual-keypad'
import { VirtualPrinter } from '../../../simulator/printer/virtual-printer'
import { counterTerminal, phoneWithVoucher, provisionedStore } from '../../terminal/fixtures'

t.test('keyed on the pad, shown on the LCD, paid over BLE, printed on paper', async t => {
  const board = openMockFirmataBoard()
  const pad = new VirtualKeypad(board)
  const glass = new VirtualLcd(board, { rows: 2, cols: 16 })
  const keypad = new JohnnyFiveKeypad(board, { controller: 'MPR121' })
  // The drivers' clock: it never moves here, so no page turns and no timeout fires under the test.
  const clock = new ManualClock(0)
  const display = new LcdDisplay(board, clock, { rows: 2, cols: 16 })

  const bluetooth = new FakeBleAdapter()
  const { phone } = phoneWithVoucher()
  const hosted = bluetooth.addPhone(phone)

  SerialPortMock.binding.createPort('/dev/ttyPRINTER', { echo: false, record: true })
  const port = new SerialPortMock({ path: '/dev/ttyPRINTER', baudRate: 19200, autoOpen: false })
  await new Promise<void>((resolve, reject) => port.open(error => (error ? reject(error) : resolve())))
  t.teardown(async () => {
    await new Promise(resolve => port.close(resolve))
    SerialPortMock.binding.reset()
  })
  const paper = new VirtualPrinter(port)

  const store = provisionedStore(t.testdir())
  t.teardown(() => store.close())
  const { terminal } = counterTerminal(store, new BlePhoneLink(bluetooth.noble(), clock), {
    display, printer: new EscPosPrinter(port, clock), language: 'fr', merchantName: 'Épicerie Aïcha',
  })

  const outcome = terminal.takeFromKeypad(keypad)
  await pad.press('2')
  await pad.press('5')
  t.same(glass.text(), ['Saisir le', '          25 XOF'], 'the LCD follows the keys, the amount always in view')
  await pad.press('0')
  await pad.press('0')
  await pad.press('#')
  const result = await outcome
  if (result.kind !== 'approved') throw new Error(`expected approved, got ${JSON.stringify(result)}`)

  t.equal(store.record(1)?.amountMinor, 2_500)
  t.same(glass.text(), ['ACCEPTE', '       2 500 XOF'], 'approved, with the amount')
  t.equal(hosted.connections, 1)
  const [receipt] = paper.receipts()
  t.same(receipt?.lines, result.receipt.text.trimEnd().split('\n').map(line => line.replace(/\u202f/g, ' ')))
  t.ok(receipt?.lines.includes('Épicerie Aïcha'), 'the accents are on paper')
  t.same(receipt?.qrCodes, [result.receipt.qrPayload], 'the terminal printed its QR payload as a QR code')
})
