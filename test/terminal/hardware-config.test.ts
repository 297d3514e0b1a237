import t from 'tap'
import { parseHardwareConfig } from '../../terminal/hardware-config'

const PAD = { keypad: { driver: 'johnny-five', controller: 'MPR121' } }

t.test('a board is a Firmata port or a johnny-five IO plugin', async t => {
  t.same(parseHardwareConfig({ board: { port: '/dev/ttyACM0' }, ...PAD }).board, { port: '/dev/ttyACM0' })
  t.same(parseHardwareConfig({ board: { io: 'raspi-io' }, ...PAD }).board, { io: 'raspi-io', export: undefined, options: {} })
  t.same(
    parseHardwareConfig({ board: { io: 'raspi-io', export: 'RaspiIO', options: { enableSoftPwm: false } }, ...PAD }).board,
    { io: 'raspi-io', export: 'RaspiIO', options: { enableSoftPwm: false } },
  )
})

t.test('a wrong board is refused naming the field', async t => {
  const refused = (board: unknown, field: RegExp) =>
    t.throws(() => parseHardwareConfig({ board, ...PAD }), { code: 'BAD_CONFIG', message: field }, JSON.stringify(board))
  refused({ io: 'raspi-io', port: '/dev/ttyACM0' }, /"board\.port" is not known/)
  refused({ io: '' }, /"board\.io" must name/)
  refused({ io: 7 }, /"board\.io" must name/)
  refused({ io: 'raspi-io', export: 'Raspi IO' }, /"board\.export"/)
  refused({ io: 'raspi-io', options: [1] }, /"board\.options" must be a JSON object/)
  refused({}, /"board\.port"/)
  t.throws(() => parseHardwareConfig(PAD), { code: 'BAD_CONFIG', message: /"board" is needed .* IO plugin/ })
})

t.test('the hardware configuration is frozen down to each device, the IO plugin options left to the plugin', async t => {
  const config = parseHardwareConfig({ board: { io: 'raspi-io', options: { enableSoftPwm: false } }, ...PAD, printer: { driver: 'escpos', port: '/dev/ttyUSB1' } })
  t.ok(Object.isFrozen(config))
  t.ok(Object.isFrozen(config.printer))
  t.ok(Object.isFrozen(config.keypad))
  t.ok(Object.isFrozen(config.board))
  t.notOk(Object.isFrozen((config.board as { options: object }).options), 'the plugin may fill in its own defaults')
})
