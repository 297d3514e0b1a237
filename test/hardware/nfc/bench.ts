// A PN532 bench for tests: a real serialport MockBinding port with the emulator on its device
// side, the driver on its application side, and a manual clock for its timeouts.

import { MockBinding } from '@serialport/binding-mock'
import type { SerialPortMock } from 'serialport'
import type { Pn532, Pn532Options } from '../../../hardware/nfc/pn532'
import { ManualClock } from '../../../protocol/clock'
import type { Pn532Emulator, Pn532EmulatorOptions } from '../../../simulator/nfc/pn532-emulator'
import { openSimulatedReader } from '../../../simulator/nfc/simulated-reader'
import { seededRandom } from '../../hub/mqtt/fixtures'

export interface Bench {
  readonly port: SerialPortMock
  readonly emulator: Pn532Emulator
  readonly reader: Pn532
  /** The driver's clock, from 0: it moves only when settle() fires a timeout. */
  readonly clock: ManualClock
  /** Every byte the driver wrote, as hex. */
  written(): string
}

export interface Tap {
  teardown(fn: () => unknown): void
}

let portCount = 0

export async function openBench(
  t: Tap,
  options: { emulator?: Partial<Pn532EmulatorOptions>; reader?: Pn532Options; seed?: number } = {},
): Promise<Bench> {
  const clock = new ManualClock(0)
  const simulated = await openSimulatedReader(`/dev/PN532-${++portCount}`, {
    emulator: { random: seededRandom(options.seed ?? 532), ...options.emulator },
    clock,
    ...(options.reader !== undefined && { reader: options.reader }),
  })
  t.teardown(async () => {
    await simulated.close()
    MockBinding.reset()
  })
  const { port, emulator, reader } = simulated
  return { port, emulator, reader, clock, written: () => port.port!.recording.toString('hex') }
}
