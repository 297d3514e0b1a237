import t from 'tap'
import { PassThrough } from 'node:stream'
import type { Key } from '../../../hardware/devices'
import { keysOfInput, StdinKeypad } from '../../../hardware/keypad/stdin-keypad'

async function read(keypad: StdinKeypad, count: number): Promise<Key[]> {
  const keys: Key[] = []
  for (let i = 0; i < count; i++) keys.push(await keypad.nextKey())
  return keys
}

t.test('digits, Backspace, Delete, c, Enter, Esc and q from a stream', async t => {
  const input = new PassThrough()
  const keypad = new StdinKeypad(input)
  input.write('12\x7f5')
  input.write('\x1b[3~') // Delete
  input.write('c9\r')
  input.write('\x1b') // Esc alone
  input.write('q')
  t.same(await read(keypad, 9), ['1', '2', 'backspace', '5', 'backspace', 'clear', '9', 'enter', 'cancel'])
  t.equal(await read(keypad, 1).then(keys => keys[0]), 'cancel')
  keypad.close()
})

t.test('input that ends: the keys already typed are read, then CLOSED instead of waiting forever', async t => {
  const input = new PassThrough()
  const keypad = new StdinKeypad(input)
  input.end('4\r')
  t.same(await read(keypad, 2), ['4', 'enter'])
  await t.rejects(keypad.nextKey(), { name: 'KeypadError', code: 'CLOSED' })
})

t.test('arrows and other escape sequences are no keys; CR LF is one Enter', async t => {
  t.same(keysOfInput(Buffer.from('\x1b[A\x1b[1;5C\x1bOP4\r\n')), ['4', 'enter'])
  t.same(keysOfInput(Buffer.from('x!é\t')), [], 'letters and symbols are ignored')
  let interrupts = 0
  t.same(keysOfInput(Buffer.from('\x031'), () => interrupts++), ['1'])
  t.equal(interrupts, 1, 'Ctrl-C in raw mode still interrupts')
})

t.test('on a TTY it switches to raw mode and restores the mode it found on close', async t => {
  const modes: boolean[] = []
  const input = Object.assign(new PassThrough(), {
    isTTY: true, isRaw: false,
    setRawMode(mode: boolean) {
      modes.push(mode)
      this.isRaw = mode
      return this
    },
  })
  const keypad = new StdinKeypad(input)
  t.same(modes, [true])
  input.write('3')
  t.equal(await keypad.nextKey(), '3')
  const waiting = keypad.nextKey()
  keypad.close()
  t.same(modes, [true, false])
  await t.rejects(waiting, { code: 'CLOSED' })
  t.equal(input.listenerCount('data'), 0, 'no longer reading')
})
