// Shared set-up for the LoRa driver tests: MockBinding ports and a scripted radio standing in for
// the network when the test is about the modem alone.

import { MockBinding } from '@serialport/binding-mock'
import { SerialPortMock } from 'serialport'
import { ManualClock } from '../../../protocol/clock'
import type { JoinAnswer, JoinRequest, LoraRadio, RadioDownlink, Uplink, UplinkAnswer } from '../../../simulator/lora/radio'

export const SETTINGS = Object.freeze({ region: 'EU868', devEui: '70B3D57ED0051A2B', appEui: '0000000000000001', appKey: '2B7E151628AED2A6ABF7158809CF4F3C' } as const)

let portCount = 0

/** A fresh MockBinding port (recording what the host writes), open. */
export async function openMockPort(t: { teardown(fn: () => unknown): void }, baudRate: number): Promise<SerialPortMock> {
  const path = `/dev/ttyLORA${portCount++}`
  MockBinding.createPort(path, { echo: false, record: true })
  const port = new SerialPortMock({ path, baudRate })
  t.teardown(async () => {
    if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()))
    MockBinding.reset()
  })
  return port
}

export function whenOpen(port: SerialPortMock): Promise<void> {
  if (port.isOpen) return Promise.resolve()
  return new Promise((resolve, reject) => {
    port.once('open', () => resolve())
    port.once('error', reject)
  })
}

/** A modem driver and its emulator on one fresh MockBinding port, over a scripted radio and a manual clock. */
export async function openModem<Emulator, Modem extends { close(): unknown }>(
  t: { teardown(fn: () => unknown): void },
  baudRate: number,
  make: { emulator(port: SerialPortMock, radio: ScriptedRadio): Emulator; modem(port: SerialPortMock, clock: ManualClock): Modem },
) {
  const port = await openMockPort(t, baudRate)
  const radio = new ScriptedRadio()
  const emulator = make.emulator(port, radio)
  await whenOpen(port)
  const clock = new ManualClock(0)
  const modem = make.modem(port, clock)
  t.teardown(() => modem.close())
  return { port, radio, emulator, clock, modem }
}

/** What the host has written so far, as text. */
export function written(port: SerialPortMock): string {
  return port.port?.recording.toString('latin1') ?? ''
}

/** The network as a script: accepts joins or not, acks or not, hands out queued downlinks. */
export class ScriptedRadio implements LoraRadio {
  acceptJoins = true
  readonly joins: JoinRequest[] = []
  readonly uplinks: Uplink[] = []
  readonly downlinks: RadioDownlink[] = []

  join(request: JoinRequest): JoinAnswer {
    this.joins.push(request)
    return this.acceptJoins ? { accepted: true, devAddr: '26011BDA' } : { accepted: false }
  }

  uplink(frame: Uplink): UplinkAnswer {
    this.uplinks.push(frame)
    const downlink = this.downlinks.shift()
    return downlink === undefined ? { heard: true, acked: frame.confirmed } : { heard: true, acked: frame.confirmed, downlink }
  }
}
