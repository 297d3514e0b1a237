// `payall-terminal doctor`: opens each device the hardware file names, asks it who it is, and
// says what answered: the PN532's firmware, the modem's version, the Bluetooth adapter's state,
// the printer's paper. Every device is tried even when an earlier one fails; a missing one fails
// the check, as does a gateway with no way to reach a phone.

import type { SerialPortStream } from '@serialport/stream'
import { BlePhoneLink } from '../hardware/ble/ble-phone-link'
import { Rak3172 } from '../hardware/lora/rak3172'
import { Rn2483 } from '../hardware/lora/rn2483'
import { Pn532 } from '../hardware/nfc/pn532'
import { EscPosPrinter } from '../hardware/printer/escpos-printer'
import type { Clock } from '../protocol/clock'
import { errorText } from '../protocol/errors'
import type { DeviceHost } from './devices'
import type { HardwareConfig } from './hardware-config'

export interface DeviceCheck {
  readonly device: 'nfc' | 'ble' | 'lora' | 'board' | 'keypad' | 'display' | 'printer' | 'phone'
  readonly driver: string
  readonly where: string
  readonly ok: boolean
  readonly detail: string
}

async function withPort<T>(host: DeviceHost, path: string, baudRate: number, use: (port: SerialPortStream) => Promise<T>): Promise<T> {
  const port = await host.openPort(path, baudRate)
  try {
    return await use(port)
  } finally {
    if (port.isOpen) await new Promise<void>(resolve => port.close(() => resolve()))
  }
}

async function attempt(
  device: DeviceCheck['device'], driver: string, where: string, probe: () => Promise<string>,
): Promise<DeviceCheck> {
  try {
    return { device, driver, where, ok: true, detail: await probe() }
  } catch (error) {
    return { device, driver, where, ok: false, detail: errorText(error) }
  }
}

/** Each device the file names, opened with its driver on `clock` and asked who it is. */
export async function checkDevices(config: HardwareConfig, host: DeviceHost, clock: Clock): Promise<DeviceCheck[]> {
  const checks: DeviceCheck[] = []
  if (config.nfc !== undefined) {
    const { port, baudRate } = config.nfc
    checks.push(await attempt('nfc', 'pn532', port, () => withPort(host, port, baudRate, async opened => {
      const reader = new Pn532(opened, clock)
      try {
        await reader.begin()
        const firmware = await reader.firmwareVersion()
        const hex = (value: number) => `0x${value.toString(16).padStart(2, '0')}`
        return `IC ${hex(firmware.ic)}, firmware ${firmware.version}.${firmware.revision}, support ${hex(firmware.support)}`
      } finally {
        reader.close()
      }
    })))
  }
  if (config.ble !== undefined) {
    checks.push(await attempt('ble', 'noble', 'HCI adapter', async () => {
      const noble = host.noble()
      await new BlePhoneLink(noble, clock).waitForPoweredOn()
      return `adapter ${noble.state}`
    }))
  }
  if (config.lora !== undefined) {
    const { driver, port, baudRate, region } = config.lora
    checks.push(await attempt('lora', driver, port, () => withPort(host, port, baudRate, async opened => {
      const modem = driver === 'rak3172' ? new Rak3172(opened, clock) : new Rn2483(opened, clock)
      try {
        const version = await modem.version()
        return `${version}; ${region}; ${modem.joined ? 'joined' : 'not joined (run joins the network)'}`
      } finally {
        await modem.close()
      }
    })))
  }
  if (config.printer !== undefined) {
    const { port, baudRate } = config.printer
    checks.push(await attempt('printer', 'escpos', port, () => withPort(host, port, baudRate, async opened => {
      const printer = new EscPosPrinter(opened, clock)
      try {
        const status = await printer.status()
        if (status.paper === 'out') throw new Error('the printer has no paper')
        if (status.coverOpen) throw new Error('the printer cover is open')
        return `paper ${status.paper}`
      } finally {
        printer.detach()
      }
    })))
  }
  if (config.board !== undefined) {
    const board = config.board
    const where = 'port' in board ? board.port : board.io
    checks.push(await attempt('board', 'johnny-five', where, async () => {
      await host.openBoard(board)
      const parts = [config.keypad.driver === 'johnny-five' ? `keypad ${config.keypad.controller}` : undefined,
        config.display.driver === 'lcd' ? `LCD ${config.display.cols}×${config.display.rows}` : undefined].filter(Boolean)
      return `${'port' in board ? 'Firmata board' : 'IO plugin board'} ready${parts.length === 0 ? '' : ` for the ${parts.join(' and the ')}`}`
    }))
  }
  if (config.nfc === undefined && config.ble === undefined) {
    checks.push({ device: 'phone', driver: '-', where: '-', ok: false, detail: 'no NFC reader and no BLE: this gateway cannot reach a phone' })
  }
  return checks
}

export function doctorText(checks: readonly DeviceCheck[]): string {
  return checks.map(check => `${check.ok ? 'ok     ' : 'MISSING'} ${check.device.padEnd(8)}${check.driver.padEnd(12)}${check.where.padEnd(16)} ${check.detail}`).join('\n') + '\n'
}
