// Shared set-up for the LoRa simulator tests: deterministic time and randomness, a network server
// on a loopback aedes broker, and a way to await the server's log events.

import { ManualClock, type RandomBytes } from '../../../protocol/clock'
import { startLoopbackBroker, type LoopbackBroker } from './broker'
import { SimulatedNetworkServer, type LnsEvent, type NetworkServerOptions } from '../../../simulator/lora/network-server'
import type { LnsFlavour } from '../../../simulator/lora/lns-messages'

export const START_MS = Date.UTC(2026, 0, 15, 9, 30)
export const TENANT_ID = '52f14cd4-c6f1-4fbd-8f87-4025e1d49242'
export const APPLICATION_ID = '17c82e96-be03-4f38-aef3-f83d48582d97'
export const DEVICE = Object.freeze({ devEui: '70B3D57ED0051A2B', appEui: '0000000000000001', appKey: '2B7E151628AED2A6ABF7158809CF4F3C' })

/** Bytes from a counter: 00 01 02 …, continuing across calls. */
export function countingBytes(): RandomBytes {
  let next = 0
  return (length) => Uint8Array.from({ length }, () => next++ & 0xff)
}

export interface EventLog {
  readonly events: LnsEvent[]
  log(event: LnsEvent): void
  /** The first event of that kind not yet taken, waiting for it if need be. */
  next<Kind extends LnsEvent['kind']>(kind: Kind): Promise<Extract<LnsEvent, { kind: Kind }>>
}

export function eventLog(): EventLog {
  const events: LnsEvent[] = []
  const taken = new Set<LnsEvent>()
  const waiters: Array<{ kind: string; resolve: (event: LnsEvent) => void }> = []
  return {
    events,
    log(event) {
      events.push(event)
      const index = waiters.findIndex((waiter) => waiter.kind === event.kind)
      if (index >= 0) {
        taken.add(event)
        waiters.splice(index, 1)[0]!.resolve(event)
      }
    },
    next(kind) {
      const found = events.find((event) => event.kind === kind && !taken.has(event))
      if (found !== undefined) {
        taken.add(found)
        return Promise.resolve(found as never)
      }
      return new Promise((resolve) => waiters.push({ kind, resolve: resolve as (event: LnsEvent) => void }))
    },
  }
}

export interface LnsWorld {
  readonly broker: LoopbackBroker
  readonly server: SimulatedNetworkServer
  readonly events: EventLog
}

export async function startLnsWorld(
  t: { teardown(fn: () => unknown): void },
  flavour: LnsFlavour,
  overrides: Partial<NetworkServerOptions> = {},
): Promise<LnsWorld> {
  const broker = await startLoopbackBroker()
  const events = eventLog()
  const server = new SimulatedNetworkServer({
    flavour,
    region: 'EU868',
    tenantId: flavour === 'chirpstack-v4' ? TENANT_ID : 'payall',
    applicationId: flavour === 'chirpstack-v4' ? APPLICATION_ID : 'payall-terminals',
    clock: new ManualClock(START_MS),
    randomBytes: countingBytes(),
    log: events.log,
    ...overrides,
  })
  server.register({ devEui: DEVICE.devEui, appKey: DEVICE.appKey })
  await server.connect(broker.url, { clientId: `lns-${flavour}` })
  t.teardown(async () => {
    await server.close()
    await broker.close()
  })
  return { broker, server, events }
}
