// What a fault run does, drawn from its seed alone before it starts: the fleet (its size, its
// payments), the payments at which a gateway loses its power, an attacker taps, a customer
// revokes or pays with an expired voucher, the payments at which a gateway's clock is set off and
// set right again or its disk fills up and is freed, or another process locks the hub's database
// for a while, and the packets
// after which a link is partitioned, a gateway dies or the hub is killed, the chain RPC's outages
// and the hub's kill mid-anchor (chain-plan.ts);
// plus the rates at which every other packet is dropped, duplicated, delayed or held back, drawn
// packet by packet from streams of the same seed. Pure: the same seed gives the same plan.

import { HOUR_MS, MINUTE_MS, SECOND_MS } from '../../protocol/clock'
import { FAULT_KINDS, type FaultKind, type PaymentFaults } from '../fleet/faults'
import type { FleetOptions } from '../fleet/options'
import { SeededRandom } from '../fleet/seeded-random'
import { drawBusyFaults, type BusyFault } from './db-busy'
import { drawChainFaults, type ChainFault } from './chain-plan'
import { drawRadioPlan, type RadioPlan } from './radio-plan'

/** Names for several kinds at once, in --faults. */
export const FAULT_GROUPS: Readonly<Record<string, readonly FaultKind[]>> = {
  network: ['drop', 'duplicate', 'reorder', 'delay', 'partition'],
  gateway: ['power-loss', 'power-online', 'clock', 'disk-full'],
  hub: ['hub-kill', 'db-busy', 'chain-down', 'hub-kill-anchor'],
  customers: ['replay', 'forge', 'revoke', 'expired', 'pull'],
  radio: ['lora-loss', 'modem-garbage'],
}

/**
 * Every kind. power-online and disk-full joined them once a gateway voided the online requests it
 * never recorded (terminal/voids.ts): before, a payment the hub approved while the gateway lost its
 * power, or could not store its record, stayed charged to the customer (seed dk.3 for disk-full).
 */
export const DEFAULT_FAULT_KINDS: readonly FaultKind[] = FAULT_KINDS

/** The packets the network faults apply to, by topic; every other packet passes untouched. */
export type PacketStream = 'records' | 'online-request' | 'acks' | 'online-answer' | 'revocations'

/** What the n-th packet of one stream of one terminal triggers, on top of passing or being dropped. */
export interface PacketFault {
  readonly terminal: number
  /** Records go up, acks come down. */
  readonly stream: 'records' | 'acks'
  /** 0 for the first message of that stream once the payments start (copies of a message sent again not counted). */
  readonly nth: number
  readonly kind: 'partition' | 'power-loss' | 'hub-kill'
  /** For a partition: how many payments later (of the whole fleet) the link is restored. */
  readonly payments: number
}

/** A gateway's clock set off true time before a payment, and set right (NTP) some payments later. */
export interface ClockFault {
  readonly terminal: number
  /** The payment before which the clock steps. */
  readonly payment: number
  /** How far it steps: ahead of true time, or behind when negative. */
  readonly offset_ms: number
  /** How many payments (of the whole fleet) later it is set right. */
  readonly payments: number
  /**
   * Where it is set right: before that payment, or in the middle of the gateway's first tap from
   * then on, once the phone has signed the request and before the terminal reads its answer.
   */
  readonly correction: 'before' | 'mid-tap'
}

/** A gateway's disk full before a payment, and space back some payments later. */
export interface DiskFault {
  readonly terminal: number
  /** The payment before which the disk is full. */
  readonly payment: number
  /** How many payments (of the whole fleet) later space is back. */
  readonly payments: number
}

export interface FaultPlan {
  readonly seed: string
  readonly kinds: readonly FaultKind[]
  readonly fleet: Pick<FleetOptions, 'terminals' | 'customers' | 'payments' | 'offlineRatio' | 'doubleSpendRatio'>
  /** By payment index; payments without faults are left out. */
  readonly payments: ReadonlyMap<number, PaymentFaults>
  readonly packets: readonly PacketFault[]
  readonly clocks: readonly ClockFault[]
  readonly disks: readonly DiskFault[]
  /** The hub's database write-locked by another process before these payments. */
  readonly busy: readonly BusyFault[]
  /** The chain RPC gone for a while, the hub killed mid-anchor (chain-plan.ts). */
  readonly chain: readonly ChainFault[]
  /** The gateways with a LoRa modem, and their uplinks' faults (radio-plan.ts). */
  readonly radio: RadioPlan
  /** Per packet of a PacketStream: the chance of each network fault. */
  readonly rates: { readonly drop: number; readonly duplicate: number; readonly reorder: number; readonly delay: number }
}

const NETWORK_RATES = { drop: 0.04, duplicate: 0.06, reorder: 0.05, delay: 0.06 } as const
/** Per payment: the chance of a power cut during it, of an attack before it. */
const POWER_PER_PAYMENT = 0.07
const POWER_ONLINE_PER_PAYMENT = 0.1
const ATTACK_PER_PAYMENT = 0.08
/** Per payment: the chance that the customer pulls the phone away mid-tap. */
const PULL_PER_PAYMENT = 0.06
/** Per payment: the chance that its customer pays with a voucher past its expiry. */
const EXPIRED_PER_PAYMENT = 0.05
/** Per run: the chance that one customer revokes their voucher midway. */
const REVOKE_PER_RUN = 0.6
/** Packet-triggered faults per run, at most, of each kind; placed among the first packets of a stream. */
const PACKET_FAULTS_MAX = { partition: 2, 'power-loss': 2, 'hub-kill': 1 } as const
const PACKET_NTH_MAX = 3
const PARTITION_PAYMENTS_MAX = 4
/** Clock faults per run, at most, and the payments one lasts, at most. */
const CLOCK_FAULTS_MAX = 2
const CLOCK_PAYMENTS_MAX = 5
/**
 * How far a clock is set off, either way unless said: within the hub's tolerance (the clockSkewMax
 * of the risk config and the window of the gateways' MQTT passwords, 5 min each), beyond it, and
 * ahead past the expiry of every voucher of the run (72 h after it was issued).
 */
export const CLOCK_OFFSETS_MS = [
  { min: 20 * SECOND_MS, max: 3 * MINUTE_MS, ahead: false },
  { min: 10 * MINUTE_MS, max: 3 * HOUR_MS, ahead: false },
  { min: 73 * HOUR_MS, max: 80 * HOUR_MS, ahead: true },
] as const
/**
 * Disk faults per run, at most, and the payments one lasts: long, as a store that may not grow takes
 * a dozen payments of its gateway or so before a table needs one more page.
 */
const DISK_FAULTS_MAX = 2
const DISK_PAYMENTS = { min: 8, max: 24 } as const
/** Delays and the longest a packet waits for the next to overtake it: short, so runs stay quick. */
export const DELAY_MS_MIN = 10
export const DELAY_MS_MAX = 200
export const REORDER_WAIT_MS = 100

/** The seed of run `index` of a series started from `seed`: the first run is the seed itself, so a run replays alone. */
export function runSeed(seed: string, index: number): string {
  return index === 0 ? seed : `${seed}.${index}`
}

export function drawFaultPlan(seed: string, kinds: readonly FaultKind[]): FaultPlan {
  const random = new SeededRandom(seed, 'faults')
  const enabled = new Set(kinds)
  const size = random.fork('fleet')
  const fleet = {
    terminals: size.integer(2, 3),
    customers: size.integer(3, 5),
    payments: size.integer(16, 28),
    offlineRatio: size.integer(2, 5) / 10,
    doubleSpendRatio: size.integer(0, 2) / 20,
  }

  const payments = new Map<number, PaymentFaults>()
  const perPayment = random.fork('payments')
  for (let index = 0; index < fleet.payments; index++) {
    // The same draws for every payment, whatever is enabled: enabling a kind never moves another's faults.
    const powerDraw = perPayment.nextFloat()
    const powerPoint = perPayment.integer(0, 1) === 0 ? 'tap' as const : 'commit' as const
    const onlineDraw = perPayment.nextFloat()
    const attackDraw = perPayment.nextFloat()
    const attack = perPayment.integer(0, 1) === 0 ? 'replay' as const : 'forge' as const
    const faults: { -readonly [Key in keyof PaymentFaults]: PaymentFaults[Key] } = {}
    if (powerDraw < POWER_PER_PAYMENT && enabled.has('power-loss')) faults.power = powerPoint
    if (onlineDraw < POWER_ONLINE_PER_PAYMENT && enabled.has('power-online')) faults.power = 'online'
    if (attackDraw < ATTACK_PER_PAYMENT && enabled.has(attack)) faults.attack = attack
    if (Object.keys(faults).length > 0) payments.set(index, faults)
  }
  const pulling = random.fork('pull')
  for (let index = 0; index < fleet.payments; index++) {
    const draw = pulling.nextFloat()
    const when = pulling.integer(0, 1) === 0 ? 'before-signing' as const : 'after-signing' as const
    if (draw < PULL_PER_PAYMENT && enabled.has('pull')) payments.set(index, { ...payments.get(index), pull: when })
  }
  const expiring = random.fork('expired')
  for (let index = 0; index < fleet.payments; index++) {
    if (expiring.nextFloat() < EXPIRED_PER_PAYMENT && enabled.has('expired')) payments.set(index, { ...payments.get(index), expired: true })
  }
  const revoking = random.fork('revoke')
  if (revoking.nextFloat() < REVOKE_PER_RUN && enabled.has('revoke')) {
    const index = revoking.integer(Math.floor(fleet.payments / 4), fleet.payments - 1)
    payments.set(index, { ...payments.get(index), revoke: true })
  }

  const packets: PacketFault[] = []
  const perPacket = random.fork('packets')
  for (const kind of ['partition', 'power-loss', 'hub-kill'] as const) {
    const count = perPacket.integer(1, PACKET_FAULTS_MAX[kind])
    for (let index = 0; index < count; index++) {
      const fault: PacketFault = {
        kind,
        terminal: perPacket.integer(0, fleet.terminals - 1),
        stream: perPacket.integer(0, 1) === 0 ? 'records' : 'acks',
        nth: perPacket.integer(0, PACKET_NTH_MAX),
        payments: perPacket.integer(1, PARTITION_PAYMENTS_MAX),
      }
      const taken = packets.some(other => other.terminal === fault.terminal && other.stream === fault.stream && other.nth === fault.nth)
      if (enabled.has(kind) && !taken) packets.push(fault)
    }
  }

  const clocks = enabled.has('clock') ? drawClockFaults(random.fork('clock'), fleet) : []
  const disks = enabled.has('disk-full') ? drawDiskFaults(random.fork('disk'), fleet) : []
  const busy = enabled.has('db-busy') ? drawBusyFaults(random.fork('db-busy'), fleet) : []
  const chain = drawChainFaults(random.fork('chain'), fleet, enabled)
  const rates = {
    drop: enabled.has('drop') ? NETWORK_RATES.drop : 0,
    duplicate: enabled.has('duplicate') ? NETWORK_RATES.duplicate : 0,
    reorder: enabled.has('reorder') ? NETWORK_RATES.reorder : 0,
    delay: enabled.has('delay') ? NETWORK_RATES.delay : 0,
  }
  const radio = drawRadioPlan(random.fork('radio'), fleet.terminals, enabled)
  return { seed, kinds: FAULT_KINDS.filter(kind => enabled.has(kind)), fleet, payments, packets, clocks, disks, busy, chain, rates, radio }
}

function drawClockFaults(clocking: SeededRandom, fleet: Pick<FleetOptions, 'terminals' | 'payments'>): ClockFault[] {
  const clocks: ClockFault[] = []
  for (let count = clocking.integer(1, CLOCK_FAULTS_MAX), index = 0; index < count; index++) {
    const range = CLOCK_OFFSETS_MS[clocking.integer(0, CLOCK_OFFSETS_MS.length - 1)]!
    const size_ms = clocking.integer(range.min, range.max)
    const behind = !range.ahead && clocking.integer(0, 1) === 1
    const fault: ClockFault = {
      terminal: clocking.integer(0, fleet.terminals - 1),
      payment: clocking.integer(0, fleet.payments - 2),
      offset_ms: behind ? -size_ms : size_ms,
      payments: clocking.integer(1, CLOCK_PAYMENTS_MAX),
      correction: clocking.integer(0, 1) === 0 ? 'before' : 'mid-tap',
    }
    // One clock fault at a time per gateway; a correction at its tap may come late, so none begins after another.
    if (!clocks.some(other => other.terminal === fault.terminal)) clocks.push(fault)
  }
  return clocks
}

function drawDiskFaults(filling: SeededRandom, fleet: Pick<FleetOptions, 'terminals' | 'payments'>): DiskFault[] {
  const disks: DiskFault[] = []
  for (let count = filling.integer(1, DISK_FAULTS_MAX), index = 0; index < count; index++) {
    const fault: DiskFault = {
      terminal: filling.integer(0, fleet.terminals - 1),
      payment: filling.integer(0, fleet.payments - 2),
      payments: filling.integer(DISK_PAYMENTS.min, DISK_PAYMENTS.max),
    }
    const overlaps = disks.some(other => other.terminal === fault.terminal
      && other.payment <= fault.payment + fault.payments && fault.payment <= other.payment + other.payments)
    if (!overlaps) disks.push(fault)
  }
  return disks
}

/** The kinds `--faults` names (kinds and groups, comma-separated; "all" for the default set); throws naming what it does not know. */
export function parseFaultKinds(list: string): FaultKind[] {
  const kinds = new Set<FaultKind>()
  for (const name of list.split(',').map(item => item.trim()).filter(item => item !== '')) {
    if (name === 'all') DEFAULT_FAULT_KINDS.forEach(kind => kinds.add(kind))
    else if (Object.hasOwn(FAULT_GROUPS, name)) FAULT_GROUPS[name]!.forEach(kind => kinds.add(kind))
    else if ((FAULT_KINDS as readonly string[]).includes(name)) kinds.add(name as FaultKind)
    else throw new RangeError(`"${name}" is no fault kind or group (kinds: ${FAULT_KINDS.join(', ')}; groups: ${Object.keys(FAULT_GROUPS).join(', ')}, all)`)
  }
  if (kinds.size === 0) throw new RangeError('names no fault')
  return FAULT_KINDS.filter(kind => kinds.has(kind))
}
