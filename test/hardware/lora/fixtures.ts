// Shared set-up for the LoRa driver tests: MockBinding ports, timers the test fires by hand, and a
// scripted radio standing in for the network when the test is about the modem alone.

import { MockBinding } from '@serialport/binding-mock'
import { SerialPortMock } from 'serialport'
import type { Timers } from '../../../hardware/lora/at-line'
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

/** What the host has written so far, as text. */
export function written(port: SerialPortMock): string {
  return port.port?.recording.toString('latin1') ?? ''
}

export interface ScheduledTimer {
  readonly delay_ms: number
  fire(): void
}

/** Timers that fire only when the test says so. */
export class ManualTimers implements Timers {
  private readonly pending = new Map<number, ScheduledTimer>()
  /** Set and not yet handed to the test, oldest first. */
  private readonly unseen: number[] = []
  private readonly waiting: Array<(timer: ScheduledTimer) => void> = []
  private nextId = 1

  setTimeout(callback: () => void, delay_ms: number): unknown {
    const id = this.nextId++
    const timer = {
      delay_ms,
      fire: () => {
        if (this.pending.delete(id)) callback()
      },
    }
    this.pending.set(id, timer)
    const waiter = this.waiting.shift()
    if (waiter !== undefined) waiter(timer)
    else this.unseen.push(id)
    return id
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number)
    const index = this.unseen.indexOf(handle as number)
    if (index >= 0) this.unseen.splice(index, 1)
  }

  get pendingCount(): number {
    return this.pending.size
  }

  /** The oldest live timer the test has not been handed yet, waiting for one to be set if need be. */
  next(): Promise<ScheduledTimer> {
    const id = this.unseen.shift()
    if (id !== undefined) return Promise.resolve(this.pending.get(id)!)
    return new Promise((resolve) => this.waiting.push(resolve))
  }
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
