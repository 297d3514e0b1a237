// The devices of a simulated counter, at the byte level: a PN532 emulator and an ESC/POS printer
// behind serialport's MockBinding ports (and, given a simulated LoRaWAN network, a RAK3172
// emulator joined to it), a johnny-five board on mock-firmata, a fake Bluetooth adapter. The
// terminal opens them through the same drivers as real ones (terminal/devices.ts); a virtual
// phone is tapped on the reader with `tap`, and the paper that comes out of the printer can be
// read back.

import { MockBinding } from '@serialport/binding-mock'
import type { SerialPortStream } from '@serialport/stream'
import { SerialPortMock } from 'serialport'
import type { RandomBytes } from '../../protocol/clock'
import type { HardwareConfig } from '../../terminal/hardware-config'
import type { DeviceHost } from '../../terminal/devices'
import { FakeBleAdapter } from '../ble/fake-noble'
import { openMockFirmataBoard } from '../keypad/mock-firmata-board'
import { HcePhone } from '../nfc/hce-phone'
import { Pn532Emulator, type FieldTarget } from '../nfc/pn532-emulator'
import type { VirtualPhone } from '../phone'
import { VirtualPrinter, type PrintedReceipt } from '../printer/virtual-printer'
import type { LoraRadio } from '../lora/radio'
import { Rak3172Emulator } from '../lora/rak3172-emulator'

export const SIMULATED_PORTS = Object.freeze({
  nfc: '/dev/payall-sim/pn532',
  printer: '/dev/payall-sim/printer',
  lora: '/dev/payall-sim/rak3172',
})

/** What `run --simulate` plugs in: the NFC reader, the printer, and the console for keys and screens. */
export const SIMULATED_HARDWARE: HardwareConfig = Object.freeze({
  nfc: { driver: 'pn532' as const, port: SIMULATED_PORTS.nfc, baudRate: 115_200 },
  printer: { driver: 'escpos' as const, port: SIMULATED_PORTS.printer, baudRate: 9_600 },
  keypad: { driver: 'keyboard' as const },
  display: { driver: 'console' as const },
})

/** A phone held to the reader once: it leaves the field when the reader lets it go. */
class OneTap implements FieldTarget {
  constructor(private readonly phone: HcePhone, private readonly leave: () => void) {}
  processCommandApdu(apdu: Uint8Array): Uint8Array {
    return this.phone.processCommandApdu(apdu)
  }
  onDeactivated(): void {
    this.phone.onDeactivated()
    this.leave()
  }
}

export interface SimulatedHostOptions {
  readonly random: RandomBytes
  readonly input: DeviceHost['input']
  readonly output: NodeJS.WritableStream
  /** The simulated network a RAK3172 at SIMULATED_PORTS.lora is joined to; no modem without it. */
  readonly loraRadio?: LoraRadio
}

export class SimulatedCounterHost implements DeviceHost {
  readonly input: DeviceHost['input']
  readonly output: NodeJS.WritableStream
  readonly bluetooth = new FakeBleAdapter()
  private reader: Pn532Emulator | undefined
  private paper: VirtualPrinter | undefined
  private receiptsSeen = 0

  constructor(private readonly options: SimulatedHostOptions) {
    this.input = options.input
    this.output = options.output
  }

  async openPort(path: string, baudRate: number): Promise<SerialPortStream> {
    const radio = path === SIMULATED_PORTS.lora ? this.options.loraRadio : undefined
    if (path !== SIMULATED_PORTS.nfc && path !== SIMULATED_PORTS.printer && radio === undefined) throw new Error(`no simulated device at ${path}`)
    MockBinding.createPort(path, { echo: false, record: false })
    const port = new SerialPortMock({ path, baudRate, autoOpen: false })
    // The modem's emulator listens before the port opens, so it sees the driver's first byte.
    if (radio !== undefined) new Rak3172Emulator(port, { radio })
    await new Promise<void>((resolve, reject) => port.open(error => (error ? reject(error) : resolve())))
    if (path === SIMULATED_PORTS.nfc) this.reader = Pn532Emulator.attach(port, { random: this.options.random })
    else if (path === SIMULATED_PORTS.printer) this.paper = new VirtualPrinter(port)
    return port
  }

  async openBoard(): Promise<ReturnType<typeof openMockFirmataBoard>> {
    return openMockFirmataBoard()
  }

  noble() {
    return this.bluetooth.noble()
  }

  /** The customer holds `phone` to the reader; false when no reader is open. */
  tap(phone: VirtualPhone): boolean {
    const reader = this.reader
    if (reader === undefined) return false
    reader.tap(new OneTap(new HcePhone(phone), () => reader.remove()))
    return true
  }

  /** Receipts cut since the last call. */
  newReceipts(): PrintedReceipt[] {
    const all = this.paper?.receipts() ?? []
    const fresh = all.slice(this.receiptsSeen)
    this.receiptsSeen = all.length
    return fresh
  }

  /** Frees the mock ports' names for another simulated counter in this process. */
  static reset(): void {
    MockBinding.reset()
  }
}
