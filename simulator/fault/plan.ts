// What a fault run does, drawn from its seed alone before it starts: the fleet (its size, its
// payments), the payments at which a gateway loses its power, an attacker taps or a customer
// revokes, and the packets after which a link is partitioned, a gateway dies or the hub is killed;
// plus the rates at which every other packet is dropped, duplicated, delayed or held back, drawn
// packet by packet from streams of the same seed. Pure: the same seed gives the same plan.

import { FAULT_KINDS, type FaultKind, type PaymentFaults } from '../fleet/faults'
import type { FleetOptions } from '../fleet/options'
import { SeededRandom } from '../fleet/seeded-random'

/** Names for several kinds at once, in --faults. */
export const FAULT_GROUPS: Readonly<Record<string, readonly FaultKind[]>> = {
  network: ['drop', 'duplicate', 'reorder', 'delay', 'partition'],
  gateway: ['power-loss', 'power-online'],
  hub: ['hub-kill'],
  customers: ['replay', 'forge', 'revoke', 'pull'],
}

/**
 * Every kind. power-online joined them once a gateway voided the online requests it never recorded
 * (terminal/voids.ts): before, a payment the hub approved while the gateway lost its power stayed
 * charged to the customer.
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

export interface FaultPlan {
  readonly seed: string
  readonly kinds: readonly FaultKind[]
  readonly fleet: Pick<FleetOptions, 'terminals' | 'customers' | 'payments' | 'offlineRatio' | 'doubleSpendRatio'>
  /** By payment index; payments without faults are left out. */
  readonly payments: ReadonlyMap<number, PaymentFaults>
  readonly packets: readonly PacketFault[]
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
/** Per run: the chance that one customer revokes their voucher midway. */
const REVOKE_PER_RUN = 0.6
/** Packet-triggered faults per run, at most, of each kind; placed among the first packets of a stream. */
const PACKET_FAULTS_MAX = { partition: 2, 'power-loss': 2, 'hub-kill': 1 } as const
const PACKET_NTH_MAX = 3
const PARTITION_PAYMENTS_MAX = 4
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

  const rates = {
    drop: enabled.has('drop') ? NETWORK_RATES.drop : 0,
    duplicate: enabled.has('duplicate') ? NETWORK_RATES.duplicate : 0,
    reorder: enabled.has('reorder') ? NETWORK_RATES.reorder : 0,
    delay: enabled.has('delay') ? NETWORK_RATES.delay : 0,
  }
  return { seed, kinds: FAULT_KINDS.filter(kind => enabled.has(kind)), fleet, payments, packets, rates }
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
