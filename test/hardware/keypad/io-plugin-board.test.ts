// A johnny-five board through an IO plugin, as a Pi drives its own I2C pins with raspi-io. The
// plugin here is a module written for the test on mock-firmata (an IO plugin with no hardware
// behind it); the real loader finds it, constructs it, and j5's Keypad runs on it.

import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { JohnnyFiveKeypad } from '../../../hardware/keypad/johnny-five-keypad'
import { checkDevices } from '../../../terminal/doctor'
import { systemClock } from '../../../protocol/clock'
import { openIoPluginBoard, systemHost } from '../../../terminal/system-host'
import type { MockFirmataBoard } from '../../../simulator/keypad/mock-firmata-board'
import { VirtualKeypad } from '../../../simulator/keypad/virtual-keypad'

/** A plugin module: `exports` is its body after `const { Firmata } = require('mock-firmata')`. */
function plugin(dir: string, name: string, exports: string): string {
  const path = join(dir, `${name}.js`)
  writeFileSync(path, [
    `const { Firmata } = require(${JSON.stringify(require.resolve('mock-firmata'))})`,
    // An IO plugin says connect then ready once it has reached its pins.
    'class TestIO extends Firmata { constructor(options) { super(); this.options = options; setImmediate(() => { this.emit("connect"); this.emit("ready") }) } }',
    exports,
  ].join('\n'))
  return path
}

t.test('the plugin named in the hardware file drives a j5 keypad', async t => {
  const dir = t.testdir()
  const path = plugin(dir, 'test-io', 'module.exports = { TestIO }')
  const board = await openIoPluginBoard({ io: path, export: undefined, options: { pins: 'all' } }, systemClock) as MockFirmataBoard
  t.same((board.io as unknown as { options: object }).options, { pins: 'all' }, 'the options reach the plugin')
  const pad = new VirtualKeypad(board)
  const keypad = new JohnnyFiveKeypad(board, { controller: 'MPR121' })
  t.teardown(() => keypad.close())
  await pad.press('4')
  await pad.press('#')
  t.same([await keypad.nextKey(), await keypad.nextKey()], ['4', 'enter'])
})

t.test('a missing, ambiguous or failing plugin is a typed error', async t => {
  const dir = t.testdir()
  await t.rejects(openIoPluginBoard({ io: 'payall-no-such-io', export: undefined, options: {} }, systemClock, dir),
    { code: 'DEVICE_MISSING', message: /"payall-no-such-io" is not installed \(npm install payall-no-such-io\)/ })
  const two = plugin(dir, 'two', 'module.exports = { TestIO, OtherIO: class {} }')
  await t.rejects(openIoPluginBoard({ io: two, export: undefined, options: {} }, systemClock), { code: 'BAD_CONFIG', message: /several \(TestIO, OtherIO\): name one in board\.export/ })
  await t.rejects(openIoPluginBoard({ io: two, export: 'RaspiIO', options: {} }, systemClock), { code: 'BAD_CONFIG', message: /exports no class "RaspiIO"/ })
  t.ok(await openIoPluginBoard({ io: two, export: 'TestIO', options: {} }, systemClock), 'the named class is the one used')
  const broken = plugin(dir, 'broken', 'module.exports = class { constructor() { throw new Error("not a Raspberry Pi") } }')
  await t.rejects(openIoPluginBoard({ io: broken, export: undefined, options: {} }, systemClock), { code: 'DEVICE_MISSING', message: /did not start: not a Raspberry Pi/ })
})

t.test('doctor opens the plugin board and says so', async t => {
  const path = plugin(t.testdir(), 'test-io', 'module.exports = TestIO')
  const checks = await checkDevices({
    board: { io: path, export: undefined, options: {} },
    keypad: { driver: 'johnny-five', controller: 'MPR121', address: undefined }, display: { driver: 'console' },
  }, systemHost(systemClock), systemClock)
  t.match(checks.find(check => check.device === 'board'), { ok: true, where: path, detail: 'IO plugin board ready for the keypad MPR121' })
})
