import t from 'tap'
import fc from 'fast-check'
import { once } from 'node:events'
import { Rn2483, RN2483_BAUD_RATE, parseRn2483Line, type Rn2483ErrorWord } from '../../../hardware/lora/rn2483'
import { MAX_PAYLOAD_BYTES, type LoraDownlink, type LoraErrorCode } from '../../../hardware/lora/modem'
import { Rn2483Emulator } from '../../../simulator/lora/rn2483-emulator'
import { timersSet } from '../../helpers/clock'
import { SETTINGS, openModem, written } from './fixtures'

async function setup(t: { teardown(fn: () => unknown): void }, options: { dataRate?: number; lineEnding?: '\r\n' | '\n' } = {}) {
  return openModem(t, RN2483_BAUD_RATE, {
    emulator: (port, radio) => new Rn2483Emulator(port, { radio, ...options }),
    modem: (port, clock) => new Rn2483(port, clock),
  })
}

t.test('joins by OTAA with the mac commands and reads the data rate', async (t) => {
  const { port, radio, modem, emulator, clock } = await setup(t)
  t.equal(await modem.version(), 'RN2483 1.0.5 Oct 31 2018 15:06:52')
  await modem.join(SETTINGS)
  t.equal(modem.joined, true)
  t.equal(modem.dataRate, 0)
  t.equal(modem.maxPayloadBytes(), 51)
  t.equal(
    written(port),
    [
      'sys get ver',
      'mac reset 868',
      'mac set deveui 70B3D57ED0051A2B',
      'mac set appeui 0000000000000001',
      'mac set appkey 2B7E151628AED2A6ABF7158809CF4F3C',
      'mac join otaa',
      'mac get dr',
      '',
    ].join('\r\n'),
  )
  t.same(emulator.commands.length, 7)
  t.equal(radio.joins.length, 1)
  t.equal(clock.pendingTimers, 0)
})

t.test('sends uncnf and cnf uplinks; mac_rx brings the downlink', async (t) => {
  const { port, radio, modem } = await setup(t)
  await modem.join(SETTINGS)
  const downlinks: LoraDownlink[] = []
  modem.onDownlink((downlink) => downlinks.push(downlink))
  const before = written(port).length
  await modem.send(1, Uint8Array.from([0xde, 0xad]))
  radio.downlinks.push({ port: 15, payload: Uint8Array.from([0xbe, 0xef]), confirmed: false, rssi: -40, snr: 7 })
  await modem.send(223, Uint8Array.from([0x01]), { confirmed: true })
  t.equal(written(port).slice(before), 'mac tx uncnf 1 DEAD\r\nmac get dr\r\nmac tx cnf 223 01\r\nmac get dr\r\n')
  t.same(downlinks, [{ port: 15, payload: Uint8Array.from([0xbe, 0xef]) }])
  t.same(radio.uplinks.map((uplink) => [uplink.port, uplink.confirmed]), [[1, false], [223, true]])
})

t.test('a bare LF line ending and garbage between lines are read past', async (t) => {
  const { modem, emulator } = await setup(t, { lineEnding: '\n' })
  emulator.injectGarbage(Uint8Array.from([0xff, 0x00, 0x0d, 0x0a, 0x80, 0x81]))
  emulator.faults.garbageBeforeNextReply = Buffer.from('\u00e9\u0000\r\n', 'latin1')
  await modem.join(SETTINGS)
  await modem.send(2, Uint8Array.of(7))
  t.equal(modem.joined, true)
})

t.test('parses RN2483 replies leniently', async (t) => {
  const cases: Array<[string, ReturnType<typeof parseRn2483Line>]> = [
    ['ok', { kind: 'ok' }],
    [' OK ', { kind: 'ok' }],
    ['accepted', { kind: 'accepted' }],
    ['denied', { kind: 'denied' }],
    ['mac_tx_ok', { kind: 'tx-ok' }],
    ['mac_err', { kind: 'tx-error' }],
    ['mac_rx 15 BEEF', { kind: 'rx', port: 15, hex: 'beef' }],
    ['mac_rx  2   00ff', { kind: 'rx', port: 2, hex: '00ff' }],
    ['mac_rx 2 0', { kind: 'other', text: 'mac_rx 2 0' }],
    ['no_free_ch', { kind: 'error', word: 'no_free_ch' }],
    ['FRAME_COUNTER_ERR_REJOIN_NEEDED', { kind: 'error', word: 'frame_counter_err_rejoin_needed' }],
    ['RN2483 1.0.5 Oct 31 2018 15:06:52', { kind: 'other', text: 'RN2483 1.0.5 Oct 31 2018 15:06:52' }],
  ]
  for (const [line, reply] of cases) t.same(parseRn2483Line(line), reply, JSON.stringify(line))
})

t.test('refuses, writing nothing, a payload larger than the data rate carries', async (t) => {
  for (const [dataRate, max_bytes] of MAX_PAYLOAD_BYTES.EU868.entries()) {
    const { port, radio, modem } = await setup(t)
    await modem.join(SETTINGS)
    await modem.setDataRate(dataRate)
    t.equal(modem.maxPayloadBytes(), max_bytes, `DR${dataRate}`)
    const before = written(port)
    await t.rejects(modem.send(2, new Uint8Array(max_bytes + 1)), { code: 'PAYLOAD_TOO_LARGE' }, `DR${dataRate}`)
    t.equal(written(port), before, 'nothing written')
    await modem.send(2, new Uint8Array(max_bytes))
    t.equal(radio.uplinks.at(-1)?.payload.length, max_bytes)
  }
})

t.test('refuses US915, bad ports and sends before joining, writing nothing', async (t) => {
  const { port, modem } = await setup(t)
  await t.rejects(modem.join({ ...SETTINGS, region: 'US915' }), { code: 'BAD_SETTINGS' })
  await t.rejects(modem.send(2, Uint8Array.of(1)), { code: 'NOT_JOINED' })
  t.equal(written(port), '')
  await modem.join(SETTINGS)
  const before = written(port)
  await t.rejects(modem.send(0, Uint8Array.of(1)), { code: 'BAD_PORT' })
  await t.rejects(modem.send(224, Uint8Array.of(1)), { code: 'BAD_PORT' })
  t.equal(written(port), before)
})

t.test('every first-reply error word of mac join and mac tx maps to its code', async (t) => {
  const { emulator, modem } = await setup(t)
  const joinWords: Array<[Rn2483ErrorWord, LoraErrorCode]> = [
    ['keys_not_init', 'REFUSED'],
    ['no_free_ch', 'BUSY'],
    ['busy', 'BUSY'],
    ['invalid_param', 'REFUSED'],
  ]
  for (const [word, code] of joinWords) {
    emulator.faults.failNext = word
    await t.rejects(modem.join(SETTINGS), { code }, `join: ${word}`)
  }
  const txWords: Array<[Rn2483ErrorWord, LoraErrorCode]> = [
    ['invalid_data_len', 'PAYLOAD_TOO_LARGE'],
    ['no_free_ch', 'BUSY'],
    ['busy', 'BUSY'],
    ['mac_paused', 'BUSY'],
    ['silent', 'REFUSED'],
    ['not_joined', 'NOT_JOINED'],
    ['frame_counter_err_rejoin_needed', 'NOT_JOINED'],
  ]
  for (const [word, code] of txWords) {
    await modem.join(SETTINGS)
    emulator.faults.failNext = word
    await t.rejects(modem.send(2, Uint8Array.of(1)), { code }, `tx: ${word}`)
    t.equal(modem.joined, code !== 'NOT_JOINED', `joined after ${word}`)
  }
})

t.test('faults: join denied, confirmed uplink lost (mac_err), session lost (not_joined)', async (t) => {
  const { emulator, radio, modem } = await setup(t)
  radio.acceptJoins = false
  await t.rejects(modem.join(SETTINGS), { code: 'JOIN_FAILED' })
  radio.acceptJoins = true
  emulator.faults.joinRxTimeout = true
  await t.rejects(modem.join(SETTINGS), { code: 'JOIN_FAILED' })
  emulator.faults.joinRxTimeout = false
  await modem.join(SETTINGS)
  emulator.faults.lostUplinks = 1
  await t.rejects(modem.send(2, Uint8Array.of(1), { confirmed: true }), { code: 'SEND_FAILED' })
  emulator.forgetSession()
  await t.rejects(modem.send(2, Uint8Array.of(1)), { code: 'NOT_JOINED' })
  t.equal(modem.joined, false)
})

t.test('faults: a reply cut short and a silent modem give NO_ANSWER; the next command is clean', async (t) => {
  const { port, emulator, modem, clock } = await setup(t)
  emulator.faults.cutNextReply = true
  const fragment = once(port, 'data')
  const version = modem.version()
  await timersSet(clock)
  await fragment
  clock.advance(2_000)
  await t.rejects(version, { code: 'NO_ANSWER' })
  t.equal(await modem.version(), 'RN2483 1.0.5 Oct 31 2018 15:06:52')
  await modem.join(SETTINGS)
  emulator.faults.silent = true
  const sending = modem.send(2, Uint8Array.of(1))
  await timersSet(clock)
  clock.advance(2_000)
  await t.rejects(sending, { code: 'NO_ANSWER' })
})

t.test('any line at all parses to a reply without throwing', async (t) => {
  fc.assert(
    fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.string({ maxLength: 60 }).map((tail) => `mac_rx ${tail}`)), (line) => {
      const reply = parseRn2483Line(line)
      if (reply.kind === 'rx' && (reply.port > 999 || !/^(?:[0-9a-f]{2})*$/.test(reply.hex))) throw new Error(JSON.stringify(reply))
    }),
    { seed: 2483, numRuns: 2_000 },
  )
  t.pass('2000 lines')
})
