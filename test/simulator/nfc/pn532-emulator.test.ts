import t from 'tap'
import { MockBinding } from '@serialport/binding-mock'
import { SerialPortMock } from 'serialport'
import { fromHex, toHex } from '../../../protocol/bytes'
import { ManualClock } from '../../../protocol/clock'
import { Command } from '../../../hardware/nfc/pn532'
import { encodeCommandFrame } from '../../../hardware/nfc/pn532-frame'
import { Pn532Emulator } from '../../../simulator/nfc/pn532-emulator'
import { seededRandom } from '../../hub/mqtt/fixtures'

const ACK = '0000ff00ff00'
const FIRMWARE_RESPONSE = '0000ff06fad50332010607e800'

/** The raw host side: writes bytes and collects what the chip sent back once the port's ticks are done. */
async function rawHost(t: { teardown(fn: () => unknown): void }, asleep: boolean) {
  MockBinding.createPort('/dev/PN532-raw', { echo: false, record: true })
  const port = await new Promise<SerialPortMock>((resolve, reject) => {
    const opened: SerialPortMock = new SerialPortMock({ path: '/dev/PN532-raw', baudRate: 115200 }, error => (error ? reject(error) : resolve(opened)))
  })
  const emulator = Pn532Emulator.attach(port, { random: seededRandom(1), asleep })
  let heard = ''
  port.on('data', (chunk: Buffer) => { heard += chunk.toString('hex') })
  t.teardown(async () => {
    emulator.detach()
    await new Promise<void>(resolve => port.close(() => resolve()))
    MockBinding.reset()
  })
  return {
    emulator,
    async send(text: string): Promise<string> {
      heard = ''
      await new Promise<void>((resolve, reject) => port.write(Buffer.from(fromHex(text.replace(/ /g, ''))), error => (error ? reject(error) : resolve())))
      for (let round = 0; round < 3; round++) await new Promise<void>(resolve => setImmediate(resolve))
      return heard
    },
  }
}

t.test('answers GetFirmwareVersion with ACK then 32 01 06 07, byte for byte as in UM0701', async t => {
  const host = await rawHost(t, false)
  t.equal(await host.send('00 00 FF 02 FE D4 02 2A 00'), ACK + FIRMWARE_RESPONSE)
  t.equal(await host.send('00 00 FF 03 FD D4 14 01 17 00'), ACK + '0000ff02fed5151600', 'SAMConfiguration')
})

t.test('a NACK from the host gets the last response again', async t => {
  const host = await rawHost(t, false)
  await host.send('00 00 FF 02 FE D4 02 2A 00')
  t.equal(await host.send('00 00 FF FF 00 00'), FIRMWARE_RESPONSE)
})

t.test('a frame with a bad checksum is ignored; a command it does not know gets the syntax-error frame', async t => {
  const host = await rawHost(t, false)
  t.equal(await host.send('00 00 FF 02 FE D4 02 2B 00'), '', 'bad DCS: no ACK')
  t.equal(host.emulator.ignoredFrames, 1)
  t.equal(await host.send('00 00 FF 02 FE D4 7E AE 00'), ACK + '0000ff01ff7f8100')
  t.equal(await host.send('00 00 FF 03 FD D4 14 09 0F 00'), ACK + '0000ff01ff7f8100', 'SAMConfiguration with mode 9')
})

t.test('asleep, it ignores frames until the HSU wake-up bytes', async t => {
  const host = await rawHost(t, true)
  t.equal(await host.send('00 00 FF 02 FE D4 02 2A 00'), '')
  t.notOk(host.emulator.awake)
  t.equal(await host.send('55 55 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 FF 02 FE D4 02 2A 00'), ACK + FIRMWARE_RESPONSE)
  t.ok(host.emulator.awake)
  t.equal(host.emulator.received.length, 1, 'only the frame after the wake-up was heard')
})

t.test('paced at 115,200 baud, it hears a frame after its bytes\' time and answers in the line\'s time, behind the target\'s', async t => {
  MockBinding.createPort('/dev/PN532-paced', { echo: false, record: true })
  const port = await new Promise<SerialPortMock>((resolve, reject) => {
    const opened: SerialPortMock = new SerialPortMock({ path: '/dev/PN532-paced', baudRate: 115200 }, error => (error ? reject(error) : resolve(opened)))
  })
  const clock = new ManualClock(0)
  const apdus: string[] = []
  const emulator = Pn532Emulator.attach(port, {
    random: seededRandom(1), asleep: false,
    pacing: { clock, baudRate: 115_200, targetAnswer_ms: apdu => (apdus.push(toHex(apdu)), 20) },
  })
  let heard = ''
  port.on('data', (chunk: Buffer) => { heard += chunk.toString('hex') })
  t.teardown(async () => {
    emulator.detach()
    await new Promise<void>(resolve => port.close(() => resolve()))
    MockBinding.reset()
  })
  const settle = async () => {
    for (let round = 0; round < 3; round++) await new Promise<void>(resolve => setImmediate(resolve))
  }
  const write = async (frame: Uint8Array) => {
    heard = ''
    await new Promise<void>((resolve, reject) => port.write(Buffer.from(frame), error => (error ? reject(error) : resolve())))
    await settle()
  }
  const at = async (ms: number) => {
    clock.advance(ms - clock.now_ms())
    await settle()
    return heard
  }

  // 10 bits a byte: 9 bytes in 0.78 ms, the 6-byte ACK by 1.52 ms, the 13-byte answer by 2.65 ms (timers on whole ms).
  await write(encodeCommandFrame(Command.GetFirmwareVersion))
  t.equal(await at(0), '', 'nothing before the command is even heard')
  t.equal(await at(1), '')
  t.equal(await at(2), ACK)
  t.equal(await at(3), ACK + FIRMWARE_RESPONSE)

  emulator.tap({ processCommandApdu: () => Uint8Array.of(0x90, 0x00), onDeactivated: () => undefined })
  await write(encodeCommandFrame(Command.InListPassiveTarget, Uint8Array.of(1, 0)))
  await at(20)
  await write(encodeCommandFrame(Command.InDataExchange, Uint8Array.of(1, 0x00, 0xa4, 0x04, 0x00)))
  const start_ms = clock.now_ms()
  // Heard by 2 ms (13 bytes), ACKed by 3; the 12-byte answer leaves 20 ms after the chip heard it, 1.04 ms on the wire.
  t.equal(await at(start_ms + 3), ACK, 'the chip ACKs at once')
  t.equal(await at(start_ms + 23), ACK, 'the answer waits for the target')
  t.match(await at(start_ms + 24), new RegExp(`^${ACK}0000ff05fbd541009000`), 'then comes over the line')
  t.same(apdus, ['00a40400'])
})
