import t from 'tap'
import type { Key } from '../../../hardware/devices'
import { JohnnyFiveKeypad, parseKeyMap } from '../../../hardware/keypad/johnny-five-keypad'
import { KeyQueue } from '../../../hardware/keypad/key-queue'
import { openMockFirmataBoard } from '../../../simulator/keypad/mock-firmata-board'
import { VirtualKeypad } from '../../../simulator/keypad/virtual-keypad'
import { counterTerminal, phoneLink, phoneWithVoucher, provisionedStore } from '../../terminal/fixtures'

function padOnBoard(options: { queueCapacity?: number } = {}) {
  const board = openMockFirmataBoard()
  const mpr121 = new VirtualKeypad(board)
  const keypad = new JohnnyFiveKeypad(board, { controller: 'MPR121', ...options })
  return { board, mpr121, keypad }
}

t.test('keys pressed on an MPR121 pad reach nextKey() through j5 in order', async t => {
  const { mpr121, keypad } = padOnBoard()
  t.ok(mpr121.polled, 'j5 reads the touch status registers')
  for (const label of ['1', '2', '5', '0', '*', '#']) await mpr121.press(label)
  const keys: Key[] = []
  for (let i = 0; i < 6; i++) keys.push(await keypad.nextKey())
  t.same(keys, ['1', '2', '5', '0', 'cancel', 'enter'])
})

t.test('a read waiting before the press gets it', async t => {
  const { mpr121, keypad } = padOnBoard()
  const next = keypad.nextKey()
  await mpr121.press('7')
  t.equal(await next, '7')
})

t.test('two electrodes touched together give both keys', async t => {
  const { mpr121, keypad } = padOnBoard()
  await mpr121.pressTogether(['4', '6'])
  t.same([await keypad.nextKey(), await keypad.nextKey()], ['4', '6'])
})

t.test('a 4x4 I2C nano backpack: A erases, B clears, D enters', async t => {
  const board = openMockFirmataBoard()
  const pad = new VirtualKeypad(board, { chip: '4X4_I2C_NANO_BACKPACK' })
  const keypad = new JohnnyFiveKeypad(board, { controller: '4X4_I2C_NANO_BACKPACK' })
  t.ok(pad.polled)
  for (const label of ['9', 'A', 'B', '0', 'C', 'D']) await pad.press(label)
  const keys: Key[] = []
  for (let i = 0; i < 6; i++) keys.push(await keypad.nextKey())
  t.same(keys, ['9', 'backspace', 'clear', '0', 'cancel', 'enter'])
})

t.test('a whole amount keyed on the pad is the payment the terminal takes', async t => {
  const { mpr121, keypad } = padOnBoard()
  const store = provisionedStore(t.testdir())
  t.teardown(() => store.close())
  const { phone } = phoneWithVoucher()
  const { terminal } = counterTerminal(store, phoneLink(phone))
  const outcome = terminal.takeFromKeypad(keypad)
  for (const label of ['2', '5', '0', '0', '#']) await mpr121.press(label)
  const result = await outcome
  t.equal(result.kind, 'approved')
  t.equal(store.record(1)?.amountMinor, 2_500)
})

t.test('the queue is bounded: an overflow discards the held keys and says so once', async t => {
  const { mpr121, keypad } = padOnBoard({ queueCapacity: 3 })
  for (const label of ['1', '2', '3', '4', '5']) await mpr121.press(label)
  await t.rejects(keypad.nextKey(), { name: 'KeypadError', code: 'OVERFLOW' })
  await mpr121.press('9')
  t.equal(await keypad.nextKey(), '9', 'keys after the overflow are read again')
})

t.test('close fails a waiting read with CLOSED and ignores later presses', async t => {
  const { mpr121, keypad } = padOnBoard()
  const waiting = keypad.nextKey()
  keypad.close()
  await t.rejects(waiting, { code: 'CLOSED' })
  await mpr121.press('1')
  await t.rejects(keypad.nextKey(), { code: 'CLOSED' })
})

t.test('a keymap from config: labels to keys, anything else is BAD_KEYMAP', async t => {
  t.same(parseKeyMap({ '*': 'clear', '#': 'enter' }), { '*': 'clear', '#': 'enter' })
  t.throws(() => parseKeyMap({ '*': 'explode' }), { name: 'KeypadError', code: 'BAD_KEYMAP' })
  t.throws(() => parseKeyMap(['1']), { code: 'BAD_KEYMAP' })
  const board = openMockFirmataBoard()
  t.throws(() => new JohnnyFiveKeypad(board, { controller: 'GPIO' as 'MPR121' }), { code: 'BAD_OPTIONS' })
  t.throws(() => new KeyQueue(0), { code: 'BAD_OPTIONS' })
})

t.test('a custom keymap: * clears instead of cancelling; an unmapped label is counted, not queued', async t => {
  const board = openMockFirmataBoard()
  const mpr121 = new VirtualKeypad(board)
  const keymap = { 1: '1', '*': 'clear', '#': 'enter' } as const
  const keypad = new JohnnyFiveKeypad(board, { controller: 'MPR121', keymap })
  await mpr121.press('*')
  await mpr121.press('5')
  await mpr121.press('#')
  t.same([await keypad.nextKey(), await keypad.nextKey()], ['clear', 'enter'])
  t.equal(keypad.unmappedPresses, 1)
})
