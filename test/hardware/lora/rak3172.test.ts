import t from 'tap'
import fc from 'fast-check'
import { once } from 'node:events'
import { Rak3172, parseRui3Line, RAK3172_BAUD_RATE } from '../../../hardware/lora/rak3172'
import { LoraError, MAX_PAYLOAD_BYTES, type LoraDownlink, type LoraRegion } from '../../../hardware/lora/modem'
import { Rak3172Emulator, type Rak3172Dialect } from '../../../simulator/lora/rak3172-emulator'
import { timersSet } from '../../helpers/clock'
import { SETTINGS, openModem, written } from './fixtures'

async function setup(t: { teardown(fn: () => unknown): void }, options: { dialect?: Partial<Rak3172Dialect>; dataRate?: number } = {}) {
  return openModem(t, RAK3172_BAUD_RATE, {
    emulator: (port, radio) => new Rak3172Emulator(port, { radio, ...options }),
    modem: (port, clock) => new Rak3172(port, clock),
  })
}

t.test('joins by OTAA with the RUI3 command sequence and reads the data rate', async (t) => {
  const { port, radio, modem, clock } = await setup(t, { dataRate: 3 })
  t.equal(await modem.version(), 'RUI_4.0.6_RAK3172-E')
  t.equal(modem.joined, false)
  await modem.join(SETTINGS)
  t.equal(modem.joined, true)
  t.equal(modem.dataRate, 3)
  t.equal(modem.maxPayloadBytes(), 115)
  t.equal(
    written(port),
    [
      'AT+VER=?',
      'AT+NWM=1',
      'AT+NJM=1',
      'AT+BAND=4',
      'AT+DEVEUI=70B3D57ED0051A2B',
      'AT+APPEUI=0000000000000001',
      'AT+APPKEY=2B7E151628AED2A6ABF7158809CF4F3C',
      'AT+JOIN=1:0:10:8',
      'AT+DR=?',
      '',
    ].join('\r\n'),
  )
  t.same(radio.joins, [{ region: 'EU868', devEui: SETTINGS.devEui, appEui: SETTINGS.appEui, appKey: SETTINGS.appKey }])
  t.equal(clock.pendingTimers, 0, 'every reply timer was cleared')
})

t.test('sends unconfirmed and confirmed uplinks and hears the downlink after one', async (t) => {
  const { port, radio, modem } = await setup(t)
  await modem.join(SETTINGS)
  const downlinks: LoraDownlink[] = []
  modem.onDownlink((downlink) => downlinks.push(downlink))
  const before = written(port).length
  await modem.send(2, Uint8Array.from([0x12, 0x34, 0x56, 0x78]))
  radio.downlinks.push({ port: 15, payload: Uint8Array.from([0xbe, 0xef]), confirmed: false, rssi: -28, snr: 8 })
  await modem.send(3, Uint8Array.from([0xab]), { confirmed: true })
  t.equal(written(port).slice(before), 'AT+CFM=0\r\nAT+SEND=2:12345678\r\nAT+DR=?\r\nAT+CFM=1\r\nAT+SEND=3:AB\r\nAT+DR=?\r\n')
  t.same(radio.uplinks.map((uplink) => [uplink.port, uplink.confirmed, Buffer.from(uplink.payload).toString('hex')]), [
    [2, false, '12345678'],
    [3, true, 'ab'],
  ])
  t.same(downlinks, [{ port: 15, payload: Uint8Array.from([0xbe, 0xef]), rssi: -28, snr: 8 }])
})

t.test('reads every firmware dialect: spaces, lower case, bare LF, echo, split and extra RX fields', async (t) => {
  const dialects: Array<Partial<Rak3172Dialect>> = [
    { spacedEvents: true },
    { lowerCaseEvents: true },
    { spacedEvents: true, lowerCaseEvents: true },
    { lineEnding: '\n' },
    { echo: true },
    { splitRx: true },
    { splitRx: true, spacedEvents: true },
    { extraRxFields: true },
  ]
  for (const dialect of dialects) {
    const name = JSON.stringify(dialect)
    const { radio, modem } = await setup(t, { dialect })
    await modem.join(SETTINGS)
    const downlinks: LoraDownlink[] = []
    modem.onDownlink((downlink) => downlinks.push(downlink))
    radio.downlinks.push({ port: 9, payload: Uint8Array.from([1, 2, 3]), confirmed: false, rssi: -45, snr: 9 })
    await modem.send(2, Uint8Array.from([0xca, 0xfe]), { confirmed: true })
    await modem.send(2, Uint8Array.from([0xca, 0xfe]))
    t.same(downlinks, [{ port: 9, payload: Uint8Array.from([1, 2, 3]), rssi: -45, snr: 9 }], name)
    t.equal(radio.uplinks.length, 2, name)
  }
})

t.test('parses RUI3 lines leniently', async (t) => {
  const cases: Array<[string, ReturnType<typeof parseRui3Line>]> = [
    ['OK', { kind: 'ok' }],
    ['ok ', { kind: 'ok' }],
    ['AT_PARAM_ERROR', { kind: 'error', code: 'AT_PARAM_ERROR' }],
    ['AT_BUSY_ERROR', { kind: 'error', code: 'AT_BUSY_ERROR' }],
    ['at_busy_error', { kind: 'error', code: 'AT_BUSY_ERROR' }],
    ['AT_NO_NETWORK_JOINED', { kind: 'error', code: 'AT_NO_NETWORK_JOINED' }],
    ['AT_COMMAND_NOT_FOUND', { kind: 'other', text: 'AT_COMMAND_NOT_FOUND' }],
    ['AT_ERROR', { kind: 'error', code: 'AT_ERROR' }],
    ['+EVT:JOINED', { kind: 'joined' }],
    ['+EVT:JOIN_FAILED_RX_TIMEOUT', { kind: 'join-failed', reason: 'JOIN_FAILED_RX_TIMEOUT' }],
    ['+EVT:JOIN FAILED RX TIMEOUT', { kind: 'join-failed', reason: 'JOIN_FAILED_RX_TIMEOUT' }],
    ['+EVT:TX_DONE', { kind: 'tx-done' }],
    ['+EVT:SEND_CONFIRMED_OK', { kind: 'send-confirmed', ok: true }],
    ['+EVT:SEND CONFIRMED OK', { kind: 'send-confirmed', ok: true }],
    ['+evt:send_confirmed_failed(4)', { kind: 'send-confirmed', ok: false }],
    ['+EVT:RX_1:-28:8:UNICAST:2:00000710', { kind: 'rx', window: '1', rssi: -28, snr: 8, port: 2, hex: '00000710' }],
    ['+EVT:RX_C:-100:-7.25:MULTICAST:1:FE', { kind: 'rx', window: 'C', rssi: -100, snr: -7.25, port: 1, hex: 'FE' }],
    ['+EVT:RX_2:-28:8:UNICAST:0:14:2:aa', { kind: 'rx', window: '2', rssi: -28, snr: 8, port: 2, hex: 'aa' }],
    ['+EVT:RX_1, RSSI -41, SNR 9', { kind: 'rx', window: '1', rssi: -41, snr: 9 }],
    ['+EVT:2:1234', { kind: 'rx-payload', port: 2, hex: '1234' }],
    ['+EVT:RX_1:-28:8:UNICAST:2:0G', { kind: 'rx', window: '1', rssi: -28, snr: 8 }],
    ['AT+VER=RUI_4.0.6_RAK3172-E', { kind: 'value', name: 'VER', value: 'RUI_4.0.6_RAK3172-E' }],
    ['at+dr=5', { kind: 'value', name: 'DR', value: '5' }],
    ['\u00ff\u00fe', { kind: 'other', text: '\u00ff\u00fe' }],
  ]
  for (const [line, reply] of cases) t.same(parseRui3Line(line), reply, JSON.stringify(line))
})

t.test('refuses, writing nothing, a payload larger than the data rate carries, for every region and data rate', async (t) => {
  const regions: LoraRegion[] = ['EU868', 'US915']
  for (const region of regions) {
    for (const [dataRate, max_bytes] of MAX_PAYLOAD_BYTES[region].entries()) {
      const { port, radio, modem } = await setup(t, {})
      await modem.join({ ...SETTINGS, region })
      await modem.setDataRate(dataRate)
      t.equal(modem.maxPayloadBytes(), max_bytes, `${region} DR${dataRate}`)
      const before = written(port)
      await t.rejects(modem.send(2, new Uint8Array(max_bytes + 1)), { code: 'PAYLOAD_TOO_LARGE' }, `${region} DR${dataRate}`)
      t.equal(written(port), before, 'nothing written')
      await modem.send(2, new Uint8Array(max_bytes).fill(0x5a))
      t.equal(radio.uplinks.at(-1)?.payload.length, max_bytes)
    }
  }
  t.same(MAX_PAYLOAD_BYTES.EU868.slice(0, 6), [51, 51, 51, 115, 242, 242])
  t.same(MAX_PAYLOAD_BYTES.US915.slice(0, 4), [11, 53, 125, 242])
})

t.test('refuses bad ports, empty payloads, bad keys and sends before joining, writing nothing', async (t) => {
  const { port, modem } = await setup(t)
  await t.rejects(modem.send(2, Uint8Array.of(1)), { code: 'NOT_JOINED' })
  await t.rejects(modem.join({ ...SETTINGS, appKey: '00' }), { code: 'BAD_SETTINGS' })
  await t.rejects(modem.join({ ...SETTINGS, devEui: 'not an eui!!!!!!' }), { code: 'BAD_SETTINGS' })
  await t.rejects(modem.join({ ...SETTINGS, region: 'AS923' as never }), { code: 'BAD_SETTINGS' })
  t.equal(written(port), '')
  await modem.join(SETTINGS)
  const before = written(port)
  for (const bad of [0, 224, 1.5, -1]) await t.rejects(modem.send(bad, Uint8Array.of(1)), { code: 'BAD_PORT' }, `port ${bad}`)
  await t.rejects(modem.send(2, new Uint8Array(0)), { code: 'BAD_PAYLOAD' })
  await t.rejects(modem.setDataRate(8), { code: 'BAD_SETTINGS' })
  t.equal(written(port), before)
})

t.test('faults: garbage and non-UTF-8 bytes around the replies are read past', async (t) => {
  const { emulator, modem } = await setup(t)
  emulator.faults.garbageBeforeNextReply = Uint8Array.from([0x00, 0xff, 0xfe, 0x0a, 0x80, 0x13])
  emulator.injectGarbage(Uint8Array.from([0xc3, 0x28, 0x0d, 0x0a]))
  t.equal(await modem.version(), 'RUI_4.0.6_RAK3172-E')
  emulator.injectGarbage(Buffer.from('\x00\x00+EVT:???\r\n\xff', 'latin1'))
  await modem.join(SETTINGS)
  t.equal(modem.joined, true)
})

t.test('faults: a line cut short times out as NO_ANSWER and the next command is clean', async (t) => {
  const { emulator, modem, clock, port } = await setup(t)
  emulator.faults.cutNextReply = true
  const fragment = once(port, 'data')
  const version = modem.version()
  await timersSet(clock)
  await fragment
  clock.advance(1_999)
  t.equal(clock.pendingTimers, 1, 'still waiting at 1,999 ms')
  clock.advance(1)
  await t.rejects(version, { code: 'NO_ANSWER' })
  t.equal(await modem.version(), 'RUI_4.0.6_RAK3172-E', 'the cut fragment did not prefix the next reply')
  t.match(written(port), /^AT\+VER=\?\r\nAT\+VER=\?\r\n$/)
})

t.test('faults: a modem that never answers gives NO_ANSWER for join and send', async (t) => {
  const { emulator, modem, clock } = await setup(t)
  await modem.join(SETTINGS)
  emulator.faults.silent = true
  const sending = modem.send(2, Uint8Array.of(1))
  await timersSet(clock)
  clock.advance(2_000)
  await t.rejects(sending, { code: 'NO_ANSWER' })
  const joining = modem.join(SETTINGS)
  await timersSet(clock)
  clock.advance(2_000)
  await t.rejects(joining, { code: 'NO_ANSWER' })
  t.equal(modem.joined, false)
})

t.test('faults: the join is denied or hears nothing: JOIN_FAILED', async (t) => {
  const { emulator, radio, modem } = await setup(t)
  radio.acceptJoins = false
  await t.rejects(modem.join(SETTINGS), { code: 'JOIN_FAILED' })
  t.equal(modem.joined, false)
  radio.acceptJoins = true
  emulator.faults.joinRxTimeout = true
  await t.rejects(modem.join(SETTINGS), new LoraError('JOIN_FAILED', 'the network did not accept the join (JOIN_FAILED_RX_TIMEOUT)'))
  emulator.faults.joinRxTimeout = false
  await modem.join(SETTINGS)
  t.equal(modem.joined, true)
})

t.test('faults: busy, and a confirmed uplink nobody confirms', async (t) => {
  const { emulator, radio, modem } = await setup(t)
  emulator.faults.busyReplies = 1
  await t.rejects(modem.join(SETTINGS), { code: 'BUSY' })
  await modem.join(SETTINGS)
  emulator.faults.busyReplies = 1
  await t.rejects(modem.send(2, Uint8Array.of(1)), { code: 'BUSY' })
  emulator.faults.lostUplinks = 1
  await t.rejects(modem.send(2, Uint8Array.of(1), { confirmed: true }), { code: 'SEND_FAILED' })
  await modem.send(2, Uint8Array.of(2), { confirmed: true })
  t.same(radio.uplinks.map((uplink) => uplink.payload[0]), [2])
})

t.test('the modem forgetting its session answers AT_NO_NETWORK_JOINED: NOT_JOINED, and joined is false', async (t) => {
  const { emulator, modem } = await setup(t)
  await modem.join(SETTINGS)
  emulator.forgetSession()
  await t.rejects(modem.send(2, Uint8Array.of(1)), { code: 'NOT_JOINED' })
  t.equal(modem.joined, false)
})

t.test('close fails the command in progress and every later one with CLOSED', async (t) => {
  const { emulator, modem } = await setup(t)
  emulator.faults.silent = true
  const version = modem.version()
  await modem.close()
  await t.rejects(version, { code: 'CLOSED' })
  await t.rejects(modem.version(), { code: 'CLOSED' })
})

t.test('any line at all parses to a reply without throwing', async (t) => {
  fc.assert(
    fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.string({ maxLength: 60 }).map((tail) => `+EVT:RX_1:${tail}`)), (line) => {
      const reply = parseRui3Line(line)
      if (reply.kind === 'rx' && reply.hex !== undefined && !/^(?:[0-9A-Fa-f]{2})*$/.test(reply.hex)) throw new Error(`bad hex ${reply.hex}`)
    }),
    { seed: 3172, numRuns: 2_000 },
  )
  t.pass('2000 lines')
})

t.test('an uplink queued behind one after which ADR lowered the data rate is refused before it is written', async (t) => {
  const { port, emulator, modem } = await setup(t, { dataRate: 5 })
  await modem.join(SETTINGS)
  const first = modem.send(2, Uint8Array.of(1))
  const second = modem.send(2, new Uint8Array(200))
  emulator.setDataRate(0)
  await first
  await t.rejects(second, { code: 'PAYLOAD_TOO_LARGE' })
  t.equal(modem.dataRate, 0)
  t.equal(written(port).match(/AT\+SEND/g)?.length, 1)
})
