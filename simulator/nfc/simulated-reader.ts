// A simulated NFC reader in one call, for `--simulate` runs and tests: a serialport MockBinding
// port with the PN532 emulator on its device side and the real driver on the application side.

import { MockBinding } from '@serialport/binding-mock'
import { SerialPortMock } from 'serialport'
import { Pn532, type Pn532Options } from '../../hardware/nfc/pn532'
import type { Clock } from '../../protocol/clock'
import { Pn532Emulator, type Pn532EmulatorOptions } from './pn532-emulator'

export interface SimulatedReader {
  readonly port: SerialPortMock
  readonly emulator: Pn532Emulator
  readonly reader: Pn532
  /** Closes the driver and the port and gives the host's writes back to the mock. */
  close(): Promise<void>
}

/** Creates the mock port at `path` (which must be free in MockBinding's registry) and opens it. */
export async function openSimulatedReader(
  path: string,
  options: { readonly emulator: Pn532EmulatorOptions; readonly clock: Clock; readonly reader?: Pn532Options },
): Promise<SimulatedReader> {
  MockBinding.createPort(path, { echo: false, record: true })
  const port = await new Promise<SerialPortMock>((resolve, reject) => {
    const opened: SerialPortMock = new SerialPortMock({ path, baudRate: 115200 }, error => (error ? reject(error) : resolve(opened)))
  })
  const emulator = Pn532Emulator.attach(port, options.emulator)
  const reader = new Pn532(port, options.clock, options.reader)
  return {
    port, emulator, reader,
    async close() {
      reader.close()
      emulator.detach()
      if (port.isOpen) await new Promise<void>(resolve => port.close(() => resolve()))
    },
  }
}
