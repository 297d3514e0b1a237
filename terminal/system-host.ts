// The machine's own devices: serial ports through serialport, johnny-five boards over Firmata on
// one of those ports or through an IO plugin the operator installed (raspi-io on a Pi), the
// Bluetooth adapter through noble (loaded only when BLE is configured: its HCI bindings throw at
// load on a machine without Bluetooth), and the process's console.

import { SerialPort } from 'serialport'
import type { SerialPortStream } from '@serialport/stream'
import { loadSystemNoble } from '../hardware/ble/ble-phone-link'
import type { Clock } from '../protocol/clock'
import type { JohnnyFiveBoard } from '../hardware/keypad/johnny-five-keypad'
import { errorText } from '../protocol/errors'
import type { DeviceHost } from './devices'
import { TerminalError } from './errors'
import type { BoardConfig } from './hardware-config'

/** Firmata's default speed (StandardFirmata on an Arduino). */
const FIRMATA_BAUD_RATE = 57_600
const BOARD_READY_TIMEOUT_MS = 10_000

function openSerialPort(path: string, baudRate: number): Promise<SerialPortStream> {
  return new Promise((resolve, reject) => {
    const port = new SerialPort({ path, baudRate, dataBits: 8, parity: 'none', stopBits: 1, autoOpen: false })
    port.open(error => (error ? reject(error) : resolve(port)))
  })
}

type J5Board = JohnnyFiveBoard & NodeJS.EventEmitter

function johnnyFiveBoard(options: object): J5Board {
  const { Board } = require('johnny-five') as { Board: new (options: object) => J5Board }
  return new Board({ repl: false, debug: false, sigint: false, timeout: BOARD_READY_TIMEOUT_MS, ...options })
}

/** Resolves once j5 says the board is ready; rejects on its error or after BOARD_READY_TIMEOUT_MS. */
function boardReady(board: J5Board, what: string, clock: Clock): Promise<J5Board> {
  return new Promise((resolve, reject) => {
    const cancel = clock.setTimer(() => reject(new TerminalError('DEVICE_MISSING', `${what} was not ready within ${BOARD_READY_TIMEOUT_MS} ms`)), BOARD_READY_TIMEOUT_MS)
    board.once('ready', () => {
      cancel()
      resolve(board)
    })
    board.once('error', (error: Error) => {
      cancel()
      reject(error)
    })
  })
}

/**
 * A johnny-five Board over Firmata on a port opened with serialport 13: johnny-five's own
 * serialport 8 is not used (its native bindings are not built here).
 */
async function openFirmataBoard(path: string, clock: Clock, openPort = openSerialPort): Promise<JohnnyFiveBoard> {
  const port = await openPort(path, FIRMATA_BAUD_RATE)
  return boardReady(johnnyFiveBoard({ port }), `the Firmata board on ${path}`, clock)
}

/**
 * A johnny-five Board through an IO plugin (raspi-io on a Raspberry Pi drives its own I2C pins):
 * the module as `require` finds it from `fromDir` (the working directory) or from PayAll's own
 * modules, its class `export` (or the one class it exports), constructed with `options`.
 */
export async function openIoPluginBoard(
  plugin: { readonly io: string; readonly export: string | undefined; readonly options: Readonly<Record<string, unknown>> },
  clock: Clock,
  fromDir = process.cwd(),
): Promise<JohnnyFiveBoard> {
  let path: string
  try {
    path = require.resolve(plugin.io, { paths: [fromDir, __dirname] })
  } catch {
    throw new TerminalError('DEVICE_MISSING', `the johnny-five IO plugin "${plugin.io}" is not installed (npm install ${plugin.io})`)
  }
  const exported = require(path) as unknown
  const IoClass = ioClassOf(exported, plugin)
  let io: unknown
  try {
    io = new IoClass(plugin.options)
  } catch (error) {
    throw new TerminalError('DEVICE_MISSING', `the IO plugin "${plugin.io}" did not start: ${errorText(error)}`, { cause: error })
  }
  return boardReady(johnnyFiveBoard({ io }), `the IO plugin "${plugin.io}"`, clock)
}

type Constructor = new (options: object) => unknown

function ioClassOf(exported: unknown, plugin: { readonly io: string; readonly export: string | undefined }): Constructor {
  const members = exported !== null && (typeof exported === 'object' || typeof exported === 'function') ? exported as Record<string, unknown> : {}
  if (plugin.export !== undefined) {
    const named = members[plugin.export]
    if (typeof named !== 'function') throw new TerminalError('BAD_CONFIG', `the IO plugin "${plugin.io}" exports no class "${plugin.export}"`)
    return named as Constructor
  }
  if (typeof exported === 'function') return exported as Constructor
  const classes = Object.entries(members).filter(([, value]) => typeof value === 'function')
  if (classes.length === 1) return classes[0]![1] as Constructor
  throw new TerminalError('BAD_CONFIG', `the IO plugin "${plugin.io}" exports ${classes.length === 0 ? 'no class' : `several (${classes.map(([name]) => name).join(', ')})`}: name one in board.export`)
}

/** The board a hardware file names; `clock` times its wait for the board to be ready. */
function openBoard(board: BoardConfig, clock: Clock): Promise<JohnnyFiveBoard> {
  return 'port' in board ? openFirmataBoard(board.port, clock) : openIoPluginBoard(board, clock)
}

export function systemHost(clock: Clock): DeviceHost {
  return {
    openPort: openSerialPort,
    openBoard: board => openBoard(board, clock),
    noble: loadSystemNoble,
    input: process.stdin,
    output: process.stdout,
  }
}
