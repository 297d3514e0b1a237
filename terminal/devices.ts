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
import type { Clock } from '../protocol/clock'
import { Closers } from '../protocol/closers'
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

/** Opens a serial port through the host, to be closed with the rest; DEVICE_MISSING when it cannot be opened. */
async function openPort(host: DeviceHost, closers: Closers, path: string, baudRate: number, device: string): Promise<SerialPortStream> {
  try {
    const opened = await host.openPort(path, baudRate)
    closers.add(() => new Promise<void>(resolve => opened.isOpen ? opened.close(() => resolve()) : resolve()))
    return opened
  } catch (error) {
    throw new TerminalError('DEVICE_MISSING', `${device}: cannot open ${path}: ${errorText(error)}`, { cause: error })
  }
}

/** Opens every configured device, each driver on `clock`; on a failure, what was opened is closed again. */
export async function openDevices(config: HardwareConfig, host: DeviceHost, clock: Clock): Promise<TerminalDevices> {
  const closers = new Closers()
  try {
    const phones = await openPhoneLinks(config, host, clock, closers)
    const lora = await openLora(config, host, clock, closers)
    const escpos = config.printer === undefined ? undefined : new EscPosPrinter(
      await openPort(host, closers, config.printer.port, config.printer.baudRate, 'printer'), clock,
    )
    if (escpos !== undefined) closers.add(() => escpos.detach())
    const board = config.board === undefined ? undefined : await host.openBoard(config.board)
    const keypad = openKeypad(config, host, board, closers)
    const display = openDisplay(config, host, board, clock, closers)
    return {
      ...phones, keypad, display, printer: escpos ?? NO_PRINTER, lora, escpos,
      close: () => closers.closeAll(),
    }
  } catch (error) {
    await closers.closeAll()
    throw error
  }
}

async function openPhoneLinks(
  config: HardwareConfig, host: DeviceHost, clock: Clock, closers: Closers,
): Promise<Pick<TerminalDevices, 'phone' | 'nfcReader' | 'ble'>> {
  let nfcReader: Pn532 | undefined
  let phone: PhoneLink | undefined
  if (config.nfc !== undefined) {
    nfcReader = new Pn532(await openPort(host, closers, config.nfc.port, config.nfc.baudRate, 'nfc'), clock)
    await nfcReader.begin()
    phone = new NfcPhoneLink(nfcReader, clock)
  }
  const ble = config.ble === undefined ? undefined : new BlePhoneLink(host.noble(), clock)
  // NFC first when both are there: a tap is what customers do at a counter.
  return { phone: phone ?? ble, nfcReader, ble }
}

async function openLora(config: HardwareConfig, host: DeviceHost, clock: Clock, closers: Closers): Promise<LoraModem | undefined> {
  if (config.lora === undefined) return undefined
  const opened = await openPort(host, closers, config.lora.port, config.lora.baudRate, 'lora')
  const modem = config.lora.driver === 'rak3172' ? new Rak3172(opened, clock) : new Rn2483(opened, clock)
  closers.add(() => modem.close())
  return modem
}

function openKeypad(config: HardwareConfig, host: DeviceHost, board: JohnnyFiveBoard | undefined, closers: Closers): Keypad {
  if (config.keypad.driver === 'johnny-five') {
    const j5 = new JohnnyFiveKeypad(board!, {
      controller: config.keypad.controller, ...(config.keypad.address !== undefined && { address: config.keypad.address }),
    })
    closers.add(() => j5.close())
    return j5
  }
  const stdin = new StdinKeypad(host.input as ConstructorParameters<typeof StdinKeypad>[0])
  closers.add(() => stdin.close())
  return stdin
}

function openDisplay(
  config: HardwareConfig, host: DeviceHost, board: JohnnyFiveBoard | undefined, clock: Clock, closers: Closers,
): Display {
  if (config.display.driver !== 'lcd') return new ConsoleDisplay(host.output as ConstructorParameters<typeof ConsoleDisplay>[0])
  const lcd = new LcdDisplay(board!, clock, {
    rows: config.display.rows, cols: config.display.cols, ...(config.display.address !== undefined && { address: config.display.address }),
  })
  closers.add(() => lcd.close())
  return lcd
}
