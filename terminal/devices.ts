// Opens the devices a hardware file names, through one host that owns ports, boards and the BLE
// adapter: the system's (serialport, johnny-five over Firmata, noble) on a real gateway, or the
// simulator's emulators behind MockBinding ports for `run --simulate`. The same drivers run on both.

import type { SerialPortStream } from '@serialport/stream'
import type { Display, Keypad, PhoneLink, Printer } from '../hardware/devices'
import { BlePhoneLink, type NobleCentral } from '../hardware/ble/ble-phone-link'
import { ConsoleDisplay } from '../hardware/display/console-display'
import { LcdDisplay } from '../hardware/display/lcd-display'
import { JohnnyFiveKeypad, type JohnnyFiveBoard } from '../hardware/keypad/johnny-five-keypad'
import { StdinKeypad } from '../hardware/keypad/stdin-keypad'
import type { LoraModem } from '../hardware/lora/modem'
import { Rak3172 } from '../hardware/lora/rak3172'
import { Rn2483 } from '../hardware/lora/rn2483'
import { NfcPhoneLink } from '../hardware/nfc/nfc-phone-link'
import { Pn532 } from '../hardware/nfc/pn532'
import { EscPosPrinter } from '../hardware/printer/escpos-printer'
import { errorText } from '../protocol/errors'
import { TerminalError } from './errors'
import type { BoardConfig, HardwareConfig } from './hardware-config'

/** Where devices come from: the machine's own, or the simulator's. */
export interface DeviceHost {
  /** Opens a serial port (8N1) and resolves once it is open. */
  openPort(path: string, baudRate: number): Promise<SerialPortStream>
  /** A johnny-five Board (Firmata on a port, or an IO plugin), resolved once it is ready. */
  openBoard(board: BoardConfig): Promise<JohnnyFiveBoard>
  noble(): NobleCentral
  /** The console, for the keyboard keypad and the console display. */
  readonly input: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?(mode: boolean): unknown }
  readonly output: NodeJS.WritableStream
}

export interface TerminalDevices {
  readonly phone: PhoneLink | undefined
  readonly keypad: Keypad
  readonly display: Display
  readonly printer: Printer
  readonly lora: LoraModem | undefined
  /** The PN532 as opened, for doctor's questions. */
  readonly nfcReader: Pn532 | undefined
  readonly ble: BlePhoneLink | undefined
  readonly escpos: EscPosPrinter | undefined
  close(): Promise<void>
}

const NO_PRINTER: Printer = { print: async () => undefined }

/** Opens every configured device; on a failure, what was opened is closed again. */
export async function openDevices(config: HardwareConfig, host: DeviceHost): Promise<TerminalDevices> {
  const closers: Array<() => unknown> = []
  const closeAll = async (): Promise<void> => {
    for (const close of closers.reverse()) await Promise.resolve().then(close).catch(() => undefined)
    closers.length = 0
  }
  const port = async (path: string, baudRate: number, device: string): Promise<SerialPortStream> => {
    try {
      const opened = await host.openPort(path, baudRate)
      closers.push(() => new Promise<void>(resolve => opened.isOpen ? opened.close(() => resolve()) : resolve()))
      return opened
    } catch (error) {
      throw new TerminalError('DEVICE_MISSING', `${device}: cannot open ${path}: ${errorText(error)}`, { cause: error })
    }
  }
  try {
    let nfcReader: Pn532 | undefined
    let phone: PhoneLink | undefined
    if (config.nfc !== undefined) {
      nfcReader = new Pn532(await port(config.nfc.port, config.nfc.baudRate, 'nfc'))
      await nfcReader.begin()
      phone = new NfcPhoneLink(nfcReader)
    }
    let ble: BlePhoneLink | undefined
    if (config.ble !== undefined) {
      ble = new BlePhoneLink(host.noble())
      // NFC first when both are there: a tap is what customers do at a counter.
      phone ??= ble
    }
    let lora: LoraModem | undefined
    if (config.lora !== undefined) {
      const opened = await port(config.lora.port, config.lora.baudRate, 'lora')
      lora = config.lora.driver === 'rak3172' ? new Rak3172(opened) : new Rn2483(opened)
      const modem = lora
      closers.push(() => modem.close())
    }
    let escpos: EscPosPrinter | undefined
    if (config.printer !== undefined) {
      const printer = new EscPosPrinter(await port(config.printer.port, config.printer.baudRate, 'printer'))
      closers.push(() => printer.detach())
      escpos = printer
    }
    const board = config.board === undefined ? undefined : await host.openBoard(config.board)
    let keypad: Keypad
    if (config.keypad.driver === 'johnny-five') {
      const j5 = new JohnnyFiveKeypad(board!, {
        controller: config.keypad.controller, ...(config.keypad.address !== undefined && { address: config.keypad.address }),
      })
      closers.push(() => j5.close())
      keypad = j5
    } else {
      const stdin = new StdinKeypad(host.input as ConstructorParameters<typeof StdinKeypad>[0])
      closers.push(() => stdin.close())
      keypad = stdin
    }
    let display: Display
    if (config.display.driver === 'lcd') {
      const lcd = new LcdDisplay(board!, {
        rows: config.display.rows, cols: config.display.cols, ...(config.display.address !== undefined && { address: config.display.address }),
      })
      closers.push(() => lcd.close())
      display = lcd
    } else {
      display = new ConsoleDisplay(host.output as ConstructorParameters<typeof ConsoleDisplay>[0])
    }
    return {
      phone, keypad, display, printer: escpos ?? NO_PRINTER, lora, nfcReader, ble, escpos,
      close: closeAll,
    }
  } catch (error) {
    await closeAll()
    throw error
  }
}
