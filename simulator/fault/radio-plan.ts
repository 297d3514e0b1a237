// What the radio does in a fault run, drawn from its seed alone: which gateways carry a LoRa modem,
// and by each gateway's uplink number, the uplinks the network never hears (one at a time, and a
// stretch of them) and the garbage the modem writes on its serial line before its next reply. Pure.

import type { FaultKind } from '../fleet/faults'
import type { SeededRandom } from '../fleet/seeded-random'

/** What a modem writes that is no reply to the command under way. */
type GarbageKind =
  /** A line of printable junk between replies. */
  | 'noise'
  /** The modem's next reply stops halfway, its end never sent. */
  | 'truncated'
  /** Bytes of any value, no line of their own: they run into the next reply. */
  | 'binary'
  /** A whole reply line nobody asked for: an OK, an error, an event, a downlink no network sent. */
  | 'stray-reply'

export interface ModemGarbage {
  readonly kind: GarbageKind
  /** Written just before the modem's next reply (nothing for 'truncated'). */
  readonly bytes: Uint8Array
}

export interface UplinkFault {
  /** The network does not hear it. */
  readonly lost?: true
  /** The modem writes it before its next reply, as the uplink goes out. */
  readonly garbage?: ModemGarbage
}

export interface RadioPlan {
  /** The terminals that carry a modem; none when no radio fault is enabled. */
  readonly gateways: readonly number[]
  /** By `${terminal}/${n}`, n the gateway's uplink from 0; uplinks without faults are left out. */
  readonly uplinks: ReadonlyMap<string, UplinkFault>
}

/** Uplinks per gateway that faults are planned for: past them a run's uplinks go through. */
export const UPLINKS_PLANNED_MAX = 32
/** Per uplink: the chance it is lost alone, and that garbage comes with it. */
const LOSS_PER_UPLINK = 0.12
const GARBAGE_PER_UPLINK = 0.2
/** One stretch of lost uplinks per gateway, starting among its first uplinks. */
const LOSS_STRETCH = { startMax: 5, min: 2, max: 4 } as const
const LINE_END = '\r\n'

/**
 * Replies a RAK3172 writes, each answering nothing when it comes unasked. AT_NO_NETWORK_JOINED
 * and a downlink event on the revocations' port are the harsh ones: the driver takes the first as
 * the session's end, the terminal the second as a revocation fragment.
 */
export const STRAY_REPLIES = [
  'OK', 'AT_BUSY_ERROR', 'AT_ERROR', '+EVT:TX_DONE', '+EVT:SEND_CONFIRMED_FAILED', 'AT_NO_NETWORK_JOINED', '+EVT:RX_1:-41:7:UNICAST:11:A5A5A5A5',
] as const

export function drawRadioPlan(random: SeededRandom, terminals: number, enabled: ReadonlySet<FaultKind>): RadioPlan {
  const uplinks = new Map<string, UplinkFault>()
  if (!enabled.has('lora-loss') && !enabled.has('modem-garbage')) return { gateways: [], uplinks }
  const gateways = random.sample(terminals, random.integer(1, Math.min(2, terminals))).sort((a, b) => a - b)
  for (const terminal of gateways) {
    const stretch = { start: random.integer(0, LOSS_STRETCH.startMax), length: random.integer(LOSS_STRETCH.min, LOSS_STRETCH.max) }
    for (let n = 0; n < UPLINKS_PLANNED_MAX; n++) {
      // The same draws for every uplink, whatever is enabled: enabling one kind never moves the other's faults.
      const lossDraw = random.nextFloat()
      const garbageDraw = random.nextFloat()
      const garbage = drawGarbage(random)
      const lost = lossDraw < LOSS_PER_UPLINK || (n >= stretch.start && n < stretch.start + stretch.length)
      const fault: { lost?: true; garbage?: ModemGarbage } = {}
      if (lost && enabled.has('lora-loss')) fault.lost = true
      if (garbageDraw < GARBAGE_PER_UPLINK && enabled.has('modem-garbage')) fault.garbage = garbage
      if (fault.lost !== undefined || fault.garbage !== undefined) uplinks.set(`${terminal}/${n}`, fault)
    }
  }
  return { gateways, uplinks }
}

function drawGarbage(random: SeededRandom): ModemGarbage {
  const kinds: readonly GarbageKind[] = ['noise', 'truncated', 'binary', 'stray-reply']
  const kind = kinds[random.integer(0, kinds.length - 1)]!
  const length = random.integer(4, 40)
  const junk = random.bytes(length)
  const stray = STRAY_REPLIES[random.integer(0, STRAY_REPLIES.length - 1)]!
  switch (kind) {
    case 'noise':
      return { kind, bytes: Buffer.from(`${[...junk].map(byte => String.fromCharCode(0x21 + (byte % 94))).join('')}${LINE_END}`, 'latin1') }
    case 'truncated':
      return { kind, bytes: new Uint8Array(0) }
    case 'binary':
      return { kind, bytes: junk }
    case 'stray-reply':
      return { kind, bytes: Buffer.from(`${stray}${LINE_END}`, 'latin1') }
  }
}

/** How a garbage fault reads in the fault log. */
export function garbageText(garbage: ModemGarbage): string {
  switch (garbage.kind) {
    case 'noise':
      return `a line of noise (${garbage.bytes.length - LINE_END.length} chars)`
    case 'truncated':
      return 'its reply cut halfway'
    case 'binary':
      return `${garbage.bytes.length} bytes of binary junk run into its reply`
    case 'stray-reply':
      return `a reply to nothing, ${JSON.stringify(Buffer.from(garbage.bytes).toString('latin1').trim())}`
  }
}
