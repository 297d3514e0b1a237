// The hardware file (`run --hardware FILE`, `doctor`): which driver and which port for each device
// of this gateway. Validated field by field; an error names the field. A device that is absent is
// not used: without a keypad and a display the terminal uses the console, without a printer no
// receipt is printed, without NFC or BLE no payment can be taken (doctor says so).
//
// {
//   "nfc":     { "driver": "pn532", "port": "/dev/ttyS0", "baudRate": 115200 },
//   "ble":     { "driver": "noble" },
//   "lora":    { "driver": "rak3172", "port": "/dev/ttyUSB0", "baudRate": 115200, "region": "EU868",
//                "appEui": "0000000000000000", "appKey": "…32 hex…" },
//   "board":   { "port": "/dev/ttyACM0" },            (or { "io": "raspi-io" }: see below)
//   "keypad":  { "driver": "johnny-five", "controller": "MPR121", "address": 90 },
//   "display": { "driver": "lcd", "rows": 2, "cols": 16, "address": 39 },
//   "printer": { "driver": "escpos", "port": "/dev/ttyUSB1", "baudRate": 9600 }
// }
//
// The LoRa modem's DevEUI is the gateway's EUI. "board" is what johnny-five drives the keypad and
// the LCD through: a Firmata board (an Arduino on USB) on "port", or the gateway's own pins through
// a johnny-five IO plugin, { "io": "raspi-io", "export": "RaspiIO", "options": {…} } (the module
// as `require` finds it from the working directory, the class it exports, what its constructor
// takes). "keypad": {"driver": "keyboard"} and "display": {"driver": "console"} are the
// development stand-ins.

import { readFileSync } from 'node:fs'
import { LORA_REGIONS, type LoraRegion } from '../hardware/lora/modem'
import { TerminalError } from './errors'

interface SerialDeviceConfig {
  readonly port: string
  readonly baudRate: number
}

type NfcConfig = { readonly driver: 'pn532' } & SerialDeviceConfig
interface BleConfig { readonly driver: 'noble' }
export type LoraConfig = { readonly driver: 'rak3172' | 'rn2483'; readonly region: LoraRegion; readonly appEui: string; readonly appKey: string } & SerialDeviceConfig
/** A Firmata board on a serial port, or a johnny-five IO plugin (e.g. raspi-io for the Pi's own I2C). */
export type BoardConfig =
  | { readonly port: string }
  | { readonly io: string; readonly export: string | undefined; readonly options: Readonly<Record<string, unknown>> }
type KeypadConfig =
  | { readonly driver: 'keyboard' }
  | { readonly driver: 'johnny-five'; readonly controller: JohnnyFiveKeypadController; readonly address: number | undefined }
type DisplayConfig =
  | { readonly driver: 'console' }
  | { readonly driver: 'lcd'; readonly rows: 2 | 4; readonly cols: 16 | 20; readonly address: number | undefined }
type PrinterConfig = { readonly driver: 'escpos' } & SerialDeviceConfig

const JOHNNY_FIVE_KEYPAD_CONTROLLERS = ['MPR121', 'MPR121QR2', '3X4_I2C_NANO_BACKPACK', '4X4_I2C_NANO_BACKPACK'] as const
type JohnnyFiveKeypadController = (typeof JOHNNY_FIVE_KEYPAD_CONTROLLERS)[number]

export interface HardwareConfig {
  readonly nfc?: NfcConfig
  readonly ble?: BleConfig
  readonly lora?: LoraConfig
  readonly board?: BoardConfig
  readonly keypad: KeypadConfig
  readonly display: DisplayConfig
  readonly printer?: PrinterConfig
}

/** No device file: the console keypad and display, nothing else. */
const CONSOLE_HARDWARE: HardwareConfig = Object.freeze({ keypad: { driver: 'keyboard' as const }, display: { driver: 'console' as const } })

const DEVICES = ['nfc', 'ble', 'lora', 'board', 'keypad', 'display', 'printer'] as const
const BAUD_RATES = [9600, 19200, 38400, 57600, 115200, 230400] as const

function bad(field: string, message: string): never {
  throw new TerminalError('BAD_CONFIG', `hardware field "${field}" ${message}`)
}

function objectAt(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) bad(field, 'must be a JSON object')
  return value as Record<string, unknown>
}

function onlyKeys(input: Record<string, unknown>, field: string, known: readonly string[]): void {
  for (const key of Object.keys(input)) {
    if (!known.includes(key)) bad(`${field}.${key}`, `is not known (known: ${known.join(', ')})`)
  }
}

function oneOf<T extends string>(value: unknown, field: string, choices: readonly T[]): T {
  if (!(choices as readonly unknown[]).includes(value)) bad(field, `must be one of ${choices.join(', ')}`)
  return value as T
}

function portAt(value: unknown, field: string): string {
  if (typeof value !== 'string' || !/^\/dev\/[\w./-]{1,120}$|^COM\d{1,3}$/.test(value)) bad(field, 'must be a serial device path such as /dev/ttyUSB0')
  return value
}

function serial(input: Record<string, unknown>, field: string, defaultBaud: number): SerialDeviceConfig {
  const baudRate = input.baudRate ?? defaultBaud
  if (!(BAUD_RATES as readonly unknown[]).includes(baudRate)) bad(`${field}.baudRate`, `must be one of ${BAUD_RATES.join(', ')}`)
  return { port: portAt(input.port, `${field}.port`), baudRate: baudRate as number }
}

function hexAt(value: unknown, field: string, bytes: number): string {
  if (typeof value !== 'string' || !new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`).test(value)) bad(field, `must be ${bytes * 2} hex digits`)
  return value.toUpperCase()
}

function i2cAddress(value: unknown, field: string): number | undefined {
  if (value === undefined) return undefined
  if (!Number.isInteger(value) || (value as number) < 0x03 || (value as number) > 0x77) bad(field, 'must be a 7-bit I2C address (3–119)')
  return value as number
}

/** Checks a parsed JSON value; unknown devices and fields are refused so a typo does not go unnoticed. The result is frozen. */
export function parseHardwareConfig(value: unknown): HardwareConfig {
  const input = objectAt(value, '(top level)')
  onlyKeys(input, '(top level)', DEVICES)
  const config: { -readonly [K in keyof HardwareConfig]: HardwareConfig[K] } = { ...CONSOLE_HARDWARE }
  if (input.nfc !== undefined) {
    const nfc = objectAt(input.nfc, 'nfc')
    onlyKeys(nfc, 'nfc', ['driver', 'port', 'baudRate'])
    config.nfc = { driver: oneOf(nfc.driver, 'nfc.driver', ['pn532'] as const), ...serial(nfc, 'nfc', 115200) }
  }
  if (input.ble !== undefined) {
    const ble = objectAt(input.ble, 'ble')
    onlyKeys(ble, 'ble', ['driver'])
    config.ble = { driver: oneOf(ble.driver, 'ble.driver', ['noble'] as const) }
  }
  if (input.lora !== undefined) {
    const lora = objectAt(input.lora, 'lora')
    onlyKeys(lora, 'lora', ['driver', 'port', 'baudRate', 'region', 'appEui', 'appKey'])
    const driver = oneOf(lora.driver, 'lora.driver', ['rak3172', 'rn2483'] as const)
    config.lora = {
      driver, ...serial(lora, 'lora', driver === 'rak3172' ? 115200 : 57600),
      region: oneOf(lora.region, 'lora.region', LORA_REGIONS), appEui: hexAt(lora.appEui, 'lora.appEui', 8), appKey: hexAt(lora.appKey, 'lora.appKey', 16),
    }
  }
  if (input.board !== undefined) config.board = parseBoard(input.board)
  if (input.keypad !== undefined) config.keypad = parseKeypad(input.keypad)
  if (input.display !== undefined) config.display = parseDisplay(input.display)
  if (input.printer !== undefined) {
    const printer = objectAt(input.printer, 'printer')
    onlyKeys(printer, 'printer', ['driver', 'port', 'baudRate'])
    config.printer = { driver: oneOf(printer.driver, 'printer.driver', ['escpos'] as const), ...serial(printer, 'printer', 9600) }
  }
  const usesBoard = config.keypad.driver === 'johnny-five' || config.display.driver === 'lcd'
  if (usesBoard && config.board === undefined) bad('board', 'is needed by a johnny-five keypad or an LCD: give its port, or an IO plugin as "io"')
  // Frozen down to each device; an IO plugin's options are handed to its constructor as given.
  for (const device of Object.values(config)) Object.freeze(device)
  return Object.freeze(config)
}

/** A johnny-five board: on a serial port (Firmata), or through an IO plugin module. */
function parseBoard(value: unknown): NonNullable<HardwareConfig['board']> {
  const board = objectAt(value, 'board')
  if (board.io === undefined) {
    onlyKeys(board, 'board', ['port'])
    return { port: portAt(board.port, 'board.port') }
  }
  onlyKeys(board, 'board', ['io', 'export', 'options'])
  if (typeof board.io !== 'string' || board.io.trim() === '') bad('board.io', 'must name a johnny-five IO plugin module, e.g. "raspi-io"')
  if (board.export !== undefined && (typeof board.export !== 'string' || !/^[A-Za-z_$][\w$]*$/.test(board.export))) {
    bad('board.export', 'must be the name of the class the module exports, e.g. "RaspiIO"')
  }
  const options = board.options === undefined ? {} : objectAt(board.options, 'board.options')
  return { io: board.io, export: board.export as string | undefined, options }
}

function parseKeypad(value: unknown): HardwareConfig['keypad'] {
  const keypad = objectAt(value, 'keypad')
  const driver = oneOf(keypad.driver, 'keypad.driver', ['keyboard', 'johnny-five'] as const)
  if (driver === 'keyboard') {
    onlyKeys(keypad, 'keypad', ['driver'])
    return { driver }
  }
  onlyKeys(keypad, 'keypad', ['driver', 'controller', 'address'])
  return {
    driver, controller: oneOf(keypad.controller, 'keypad.controller', JOHNNY_FIVE_KEYPAD_CONTROLLERS),
    address: i2cAddress(keypad.address, 'keypad.address'),
  }
}

function parseDisplay(value: unknown): HardwareConfig['display'] {
  const display = objectAt(value, 'display')
  const driver = oneOf(display.driver, 'display.driver', ['console', 'lcd'] as const)
  if (driver === 'console') {
    onlyKeys(display, 'display', ['driver'])
    return { driver }
  }
  onlyKeys(display, 'display', ['driver', 'rows', 'cols', 'address'])
  const rows = display.rows ?? 2
  const cols = display.cols ?? 16
  if (rows !== 2 && rows !== 4) bad('display.rows', 'must be 2 or 4')
  if (cols !== 16 && cols !== 20) bad('display.cols', 'must be 16 or 20')
  return { driver, rows, cols, address: i2cAddress(display.address, 'display.address') }
}

export function loadHardwareConfig(path: string): HardwareConfig {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new TerminalError('BAD_CONFIG', `cannot read the hardware file ${path}: ${(error as Error).message}`)
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new TerminalError('BAD_CONFIG', `the hardware file ${path} is not JSON: ${(error as Error).message}`)
  }
  return parseHardwareConfig(value)
}
