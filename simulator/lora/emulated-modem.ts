// A LoRa modem as the terminal gets it under `--simulate`: a MockBinding port with the chosen
// modem's emulator on the device side and the real driver on the host side.

import { MockBinding } from '@serialport/binding-mock'
import { SerialPortMock } from 'serialport'
import { Rak3172, RAK3172_BAUD_RATE, type Rak3172Options } from '../../hardware/lora/rak3172'
import { Rn2483, RN2483_BAUD_RATE, type Rn2483Options } from '../../hardware/lora/rn2483'
import type { LoraModem } from '../../hardware/lora/modem'
import type { Clock } from '../../protocol/clock'
import { Rak3172Emulator, type Rak3172EmulatorOptions } from './rak3172-emulator'
import { Rn2483Emulator, type Rn2483EmulatorOptions } from './rn2483-emulator'
import type { LoraRadio } from './radio'

export type EmulatedModem =
  | { readonly model: 'rak3172'; readonly modem: Rak3172; readonly emulator: Rak3172Emulator; readonly port: SerialPortMock; close(): Promise<void> }
  | { readonly model: 'rn2483'; readonly modem: Rn2483; readonly emulator: Rn2483Emulator; readonly port: SerialPortMock; close(): Promise<void> }

export interface EmulatedModemOptions {
  readonly model: LoraModem['model']
  readonly radio: LoraRadio
  /** A path of MockBinding's global registry; unique per modem. */
  readonly path: string
  /** The clock the driver's timeouts run on. */
  readonly clock: Clock
  readonly driver?: Rak3172Options & Rn2483Options
  readonly emulator?: Omit<Rak3172EmulatorOptions & Rn2483EmulatorOptions, 'radio'>
}

export async function openEmulatedModem(options: EmulatedModemOptions): Promise<EmulatedModem> {
  MockBinding.createPort(options.path, { echo: false, record: false })
  const rak = options.model === 'rak3172'
  const port = new SerialPortMock({ path: options.path, baudRate: rak ? RAK3172_BAUD_RATE : RN2483_BAUD_RATE })
  const emulatorOptions = { ...options.emulator, radio: options.radio }
  // The emulator attaches before the port opens, so it sees the driver's first byte.
  const emulator = rak ? new Rak3172Emulator(port, emulatorOptions) : new Rn2483Emulator(port, emulatorOptions)
  await new Promise<void>((resolve, reject) => {
    port.once('open', () => resolve())
    port.once('error', reject)
  })
  const closePort = async (modem: LoraModem) => {
    await modem.close()
    if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()))
  }
  if (emulator instanceof Rak3172Emulator) {
    const modem = new Rak3172(port, options.clock, options.driver)
    return { model: 'rak3172', modem, emulator, port, close: () => closePort(modem) }
  }
  const modem = new Rn2483(port, options.clock, options.driver)
  return { model: 'rn2483', modem, emulator, port, close: () => closePort(modem) }
}
