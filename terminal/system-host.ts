// The machine's own devices: serial ports through serialport, johnny-five boards over Firmata on
// one of those ports, the Bluetooth adapter through noble (loaded only when BLE is configured:
// its HCI bindings throw at load on a machine without Bluetooth), and the process's console.

import { SerialPort } from 'serialport'
import type { SerialPortStream } from '@serialport/stream'
import { loadSystemNoble } from '../hardware/ble/ble-phone-link'
import type { JohnnyFiveBoard } from '../hardware/keypad/johnny-five-keypad'
import type { DeviceHost } from './devices'

/** Firmata's default speed (StandardFirmata on an Arduino). */
const FIRMATA_BAUD_RATE = 57_600
const BOARD_READY_TIMEOUT_MS = 10_000

export function openSerialPort(path: string, baudRate: number): Promise<SerialPortStream> {
  return new Promise((resolve, reject) => {
    const port = new SerialPort({ path, baudRate, dataBits: 8, parity: 'none', stopBits: 1, autoOpen: false })
    port.open(error => (error ? reject(error) : resolve(port)))
  })
}

/**
 * A johnny-five Board over Firmata on a port opened with serialport 13: johnny-five's own
 * serialport 8 is not used (its native bindings are not built here).
 */
export async function openFirmataBoard(path: string, openPort = openSerialPort): Promise<JohnnyFiveBoard> {
  const port = await openPort(path, FIRMATA_BAUD_RATE)
  const { Board } = require('johnny-five') as { Board: new (options: object) => JohnnyFiveBoard & NodeJS.EventEmitter }
  const board = new Board({ port, repl: false, debug: false, timeout: BOARD_READY_TIMEOUT_MS })
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no Firmata board answered on ${path} within ${BOARD_READY_TIMEOUT_MS} ms`)), BOARD_READY_TIMEOUT_MS)
    board.once('ready', () => {
      clearTimeout(timer)
      resolve()
    })
    board.once('error', (error: Error) => {
      clearTimeout(timer)
      reject(error)
    })
  })
  return board
}

export function systemHost(): DeviceHost {
  return {
    openPort: openSerialPort,
    openBoard: path => openFirmataBoard(path),
    noble: loadSystemNoble,
    input: process.stdin,
    output: process.stdout,
  }
}
