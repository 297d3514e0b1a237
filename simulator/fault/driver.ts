// Injects one fault plan into one fleet run (the run's FleetFaults): it starts the hub as a child
// process it can kill, reads every terminal's packets and decides the fate of each from the plan
// and from what the message is (packets.ts), partitions links and ends the partitions at the
// payments the plan says, sets gateways' clocks off and right again, fills their disks and frees
// them, runs the chain the hub anchors on and its faults (chain.ts), and counts every fault that
// actually happened.

import { HOUR_MS, MINUTE_MS } from '../../protocol/clock'
import { parseTopic } from '../../protocol/topics'
import { GATEWAY_PASSWORD_WINDOW_MS_DEFAULT } from '../../hub/mqtt/gateway-password'
import { FAULT_KINDS, type FaultEvent, type FaultKind, type FaultReport, type FleetFaults, type PaymentFaults } from '../fleet/faults'
import type { FleetHub, OperatorEnv } from '../fleet/hub'
import { HubProcess } from '../fleet/hub-process'
import { SeededRandom } from '../fleet/seeded-random'
import { SkewedClock } from '../fleet/skewed-clock'
import type { SimulatedTerminal } from '../fleet/terminal'
import type { TerminalStore } from '../../terminal/store/store'
import type { LinkDecision, RelayedPublish } from '../link-proxy'
import { DatabaseHold, FAULT_HUB_BUSY_TIMEOUT_MS, type BusyFault } from './db-busy'
import type { ChainUnderCheck } from '../fleet/anchors'
import { ChainFaults } from './chain'
import type { InvariantFailure } from '../fleet/invariants'
import type { HubApi } from '../hub-api'
import { FaultRadio, type LoraGateway } from './lora'
import { PacketNames } from './packets'
import { DELAY_MS_MAX, DELAY_MS_MIN, REORDER_WAIT_MS, type ClockFault, type DiskFault, type FaultPlan, type PacketFault, type PacketStream } from './plan'

/** Fault events kept for the report: the first ones, enough to replay a run by reading. */
const EVENTS_KEPT_MAX = 400
const FAULT_ACK_TIMEOUT_MS = 5_000

interface Partition {
  /** The payment before which the link is restored. */
  readonly untilPayment: number
  /** The relay's going down. */
  readonly down: Promise<void>
}

/** A gateway's clock off true time, until it is set right. */
interface Skew {
  readonly fault: ClockFault
  /** The payment from which it is set right (before it, or at the gateway's next tap). */
  readonly untilPayment: number
  /** Beyond the window of the hub's MQTT passwords: every connection the gateway opens is refused. */
  readonly refused: boolean
  /** Set right at the gateway's next tap. */
  atNextTap: boolean
}

export class FaultDriver implements FleetFaults {
  private hub: HubProcess | undefined
  private chainFaults: ChainFaults | undefined
  private terminals: readonly SimulatedTerminal[] = []
  private armed = false
  private payment: number | null = null
  private readonly counts = Object.fromEntries(FAULT_KINDS.map(kind => [kind, 0])) as Record<FaultKind, number>
  private readonly events: FaultEvent[] = []
  private readonly partitions = new Map<number, Partition>()
  private readonly onlineCuts = new Map<number, { fired: boolean }>()
  /** Per terminal and stream: distinct messages seen since the payments began. */
  private readonly distinct = new Map<string, number>()
  /** Per terminal and message: copies seen (a message the session sends again is one more). */
  private readonly copies = new Map<string, number>()
  private readonly packetNames = new Map<number, PacketNames>()
  private readonly clocks = new Map<number, SkewedClock>()
  private readonly skews = new Map<number, Skew>()
  /** Per gateway whose disk is full: the payment from which space is back. */
  private readonly fullDisks = new Map<number, number>()
  /** Another process's write lock on the hub's database, while a db-busy fault holds it. */
  private hold: DatabaseHold | undefined

  /**
   * A batch a fault of the hub left unacked is sent again after this: well above a loopback round trip
   * on a loaded machine (a copy sent early is only a duplicate), well below the fleet's usual minute.
   */
  readonly ackTimeout_ms = FAULT_ACK_TIMEOUT_MS

  private readonly radio: FaultRadio

  constructor(private readonly plan: FaultPlan) {
    this.radio = new FaultRadio(plan.radio, new SeededRandom(plan.seed, 'faults/radio/network'), (kind, detail) => this.injected(kind, detail))
  }

  /** Starts the chain the hub anchors on and the LoRa network server it reads, then the hub; stopping the hub stops them too. */
  async startHub(dataDir: string, env: OperatorEnv): Promise<FleetHub> {
    const chain = await ChainFaults.start(this.plan.chain, {
      killHub: () => this.killHub(),
      injected: (kind, detail) => this.injected(kind, detail),
      noted: (kind, detail) => this.noted(kind, detail),
    })
    let hub: HubProcess
    try {
      hub = await HubProcess.start(dataDir, env, {
        ...chain.hubEnv(), PAYALL_DATABASE_BUSY_TIMEOUT_MS: String(FAULT_HUB_BUSY_TIMEOUT_MS), ...await this.radio.start(),
      })
    } catch (error) {
      await chain.stop()
      await this.radio.close()
      throw error
    }
    this.hub = hub
    this.chainFaults = chain
    // The run stops the hub once its terminals are down: the chain and the radio go with it.
    const stop = (): Promise<void> => hub.stop().finally(() => chain.stop()).finally(() => this.radio.close())
    return { url: hub.url, operator: hub.operator, embedded: undefined, hadData: hub.hadData, stop }
  }

  chain(): ChainUnderCheck | undefined {
    return this.chainFaults?.underCheck()
  }

  lora(index: number, eui: string): Promise<LoraGateway | undefined> {
    return this.radio.gateway(index, eui, this.clock(index))
  }

  check(operator: HubApi, terminals: readonly SimulatedTerminal[]): Promise<InvariantFailure[]> {
    return this.radio.check(operator, terminals)
  }

  inspector(index: number) {
    return (publish: RelayedPublish): LinkDecision | undefined => this.inspect(index, publish)
  }

  clock(index: number): SkewedClock {
    let clock = this.clocks.get(index)
    if (clock === undefined) {
      clock = new SkewedClock()
      this.clocks.set(index, clock)
    }
    return clock
  }

  opened(index: number, store: TerminalStore): void {
    if (this.fullDisks.has(index)) fill(store)
  }

  begin(terminals: readonly SimulatedTerminal[]): void {
    this.terminals = terminals
    this.armed = true
  }

  async beforePayment(index: number): Promise<PaymentFaults> {
    this.payment = index
    await this.hubUp()
    this.chainFaults?.hubServes()
    await this.chainFaults?.beforePayment(index)
    for (const [terminal, partition] of [...this.partitions]) {
      if (index >= partition.untilPayment) await this.heal(terminal)
    }
    for (const [terminal, skew] of this.skews) {
      if (index < skew.untilPayment) continue
      if (skew.fault.correction === 'before') this.setRight(terminal, 'before the payment')
      else skew.atNextTap = true
    }
    for (const fault of this.plan.clocks) {
      if (fault.payment === index) this.skew(fault)
    }
    for (const [terminal, untilPayment] of this.fullDisks) {
      if (index >= untilPayment) this.freeDisk(terminal, 'before the payment')
    }
    for (const fault of this.plan.disks) {
      if (fault.payment === index) this.fillDisk(fault)
    }
    for (const fault of this.plan.busy) {
      if (fault.payment === index) await this.holdDatabase(fault)
    }
    await this.radio.interval(this.terminals)
    return this.plan.payments.get(index) ?? {}
  }

  partitioned(index: number): boolean {
    return this.partitions.has(index) || this.skews.get(index)?.refused === true
  }

  pastExpiry(index: number, expiresAt_ms: number, detail: string): () => void {
    const clock = this.clock(index)
    // An hour past it, in the gateway's time (unless a clock fault set it there already).
    clock.skipped_ms = Math.max(0, expiresAt_ms + HOUR_MS - (clock.now_ms() - clock.skipped_ms))
    this.injected('expired', `${this.terminals[index]!.eui}: ${detail}, ${Math.round(clock.skipped_ms / HOUR_MS)} h later`)
    return () => {
      clock.skipped_ms = 0
    }
  }

  tapped(index: number): void {
    if (this.skews.get(index)?.atNextTap === true) this.setRight(index, 'once the phone had signed, before the terminal read its answer')
  }

  cutPowerAfterOnlineRequest(index: number): { fired(): boolean; disarm(): void } {
    const cut = { fired: false }
    this.onlineCuts.set(index, cut)
    return {
      fired: () => cut.fired,
      disarm: () => {
        if (this.onlineCuts.get(index) === cut) this.onlineCuts.delete(index)
      },
    }
  }

  async hubUp(): Promise<void> {
    await this.hub?.whenUp()
  }

  async end(): Promise<void> {
    this.armed = false
    this.payment = null
    for (const terminal of [...this.skews.keys()]) this.setRight(terminal, 'as the payments end')
    for (const terminal of [...this.fullDisks.keys()]) this.freeDisk(terminal, 'as the payments end')
    for (const terminal of [...this.partitions.keys()]) await this.heal(terminal)
    this.hold?.end()
    await this.chainFaults?.end(() => this.hubUp())
    await this.hubUp()
  }

  injected(kind: FaultKind, detail: string): void {
    this.counts[kind]++
    this.noted(kind, detail)
  }

  /** An event of a fault, told with the faults but not counted as one more (a full disk freed). */
  private noted(kind: FaultKind, detail: string): void {
    if (this.events.length < EVENTS_KEPT_MAX) this.events.push({ payment: this.payment, kind, detail })
  }

  report(): FaultReport {
    return { injected: { ...this.counts }, events: [...this.events] }
  }

  private inspect(index: number, publish: RelayedPublish): LinkDecision | undefined {
    if (!this.armed) return undefined
    const stream = streamOf(publish)
    if (stream === undefined) return undefined
    const terminal = this.terminals[index]!
    const online = this.onlineCuts.get(index)
    if (stream === 'online-request' && online !== undefined && !online.fired) {
      online.fired = true
      this.injected('power-online', `${terminal.eui}, payment ${this.payment}: power lost once the online request had left for the hub, before its answer`)
      return { action: { kind: 'pass' }, after: () => this.cutPower(index) }
    }
    const name = this.names(index).name(stream, publish.payload)
    if (name === undefined) return undefined
    // The n-th message of a stream counts first copies only: a message sent again never moves the plan.
    const key = `${index}/${name}`
    const copy = (this.copies.get(key) ?? 0) + 1
    this.copies.set(key, copy)
    let planned: PacketFault | undefined
    if (copy === 1) {
      const nth = this.distinct.get(`${index}/${stream}`) ?? 0
      this.distinct.set(`${index}/${stream}`, nth + 1)
      planned = this.plan.packets.find(fault => fault.terminal === index && fault.stream === stream && fault.nth === nth)
    }
    // Each message's fate is drawn from its own stream, keyed by what it is: the same in every run of the seed.
    const draws = new SeededRandom(this.plan.seed, `faults/network/${key}/${copy}`)
    const draw = draws.nextFloat()
    const delay_ms = draws.integer(DELAY_MS_MIN, DELAY_MS_MAX)
    const what = `${terminal.eui}'s ${name}${copy > 1 ? ` (copy ${copy})` : ''}`
    if (planned !== undefined) return this.packetFault(index, planned, what)
    return this.networkFault(draw, delay_ms, what)
  }

  private names(index: number): PacketNames {
    let names = this.packetNames.get(index)
    if (names === undefined) {
      names = new PacketNames()
      this.packetNames.set(index, names)
    }
    return names
  }

  /** What the plan puts at this packet: a partition, a power cut, the hub killed, right after it. */
  private packetFault(index: number, fault: PacketFault, what: string): LinkDecision {
    // Records have reached the broker; an ack coming down is lost with the link, the gateway or the hub.
    const action = fault.stream === 'records' ? { kind: 'pass' as const } : { kind: 'drop' as const }
    switch (fault.kind) {
      case 'partition':
        this.injected('partition', `${what}: the link is partitioned for ${fault.payments} payments`)
        return { action, after: () => this.partition(index, fault.payments) }
      case 'power-loss':
        this.injected('power-loss', `${what}: the gateway loses its power ${fault.stream === 'records' ? 'as its records reach the broker' : 'before it reads the hub\'s ack'}`)
        return { action, after: () => this.cutPower(index) }
      case 'hub-kill':
        this.injected('hub-kill', `${what}: the hub is killed (SIGKILL) ${fault.stream === 'records' ? 'as the records reach it' : 'with its ack on the way'}, and restarted`)
        return { action, after: () => void this.killHub() }
    }
  }

  private networkFault(draw: number, delay_ms: number, what: string): LinkDecision | undefined {
    const { drop, duplicate, reorder, delay } = this.plan.rates
    if (draw < drop) {
      this.injected('drop', `${what}: lost, with its connection`)
      return { action: { kind: 'drop' } }
    }
    if (draw < drop + duplicate) {
      this.injected('duplicate', `${what}: delivered twice`)
      return { action: { kind: 'duplicate' } }
    }
    if (draw < drop + duplicate + reorder) {
      this.injected('reorder', `${what}: held back behind the next one`)
      return { action: { kind: 'reorder', wait_ms: REORDER_WAIT_MS } }
    }
    if (draw < drop + duplicate + reorder + delay) {
      this.injected('delay', `${what}: delayed ${delay_ms} ms`)
      return { action: { kind: 'delay', delay_ms } }
    }
    return undefined
  }

  /**
   * Sets a gateway's clock off. Beyond the window of the MQTT passwords, the hub refuses every
   * connection it opens: the one open now is dropped (as a reconnect would meet it), and the
   * gateway is offline until its clock is set right.
   */
  private skew(fault: ClockFault): void {
    const refused = Math.abs(fault.offset_ms) > GATEWAY_PASSWORD_WINDOW_MS_DEFAULT
    this.skews.set(fault.terminal, { fault, untilPayment: fault.payment + fault.payments, refused, atNextTap: false })
    this.clock(fault.terminal).offset_ms = fault.offset_ms
    const terminal = this.terminals[fault.terminal]!
    this.injected('clock', `${terminal.eui}'s clock is set ${offsetText(fault.offset_ms)} for ${fault.payments} payments`
      + (refused ? ', beyond the window of its MQTT password: the hub refuses its connections' : ''))
    if (refused) terminal.relay.reset()
  }

  private setRight(index: number, when: string): void {
    const skew = this.skews.get(index)
    if (skew === undefined) return
    this.skews.delete(index)
    this.clock(index).offset_ms = 0
    this.injected('clock', `${this.terminals[index]!.eui}'s clock, ${offsetText(skew.fault.offset_ms)}, is set right ${when}`)
  }

  /** Fills a gateway's disk: its store cannot grow by a page (SQLite answers SQLITE_FULL), now and after a reboot. */
  private fillDisk(fault: DiskFault): void {
    this.fullDisks.set(fault.terminal, fault.payment + fault.payments)
    const terminal = this.terminals[fault.terminal]!
    this.injected('disk-full', `${terminal.eui}'s disk is full for ${fault.payments} payments`)
    if (terminal.power.isOn) fill(terminal.store)
  }

  private freeDisk(index: number, when: string): void {
    if (!this.fullDisks.delete(index)) return
    const terminal = this.terminals[index]!
    // A gateway off now boots over a store that may grow again.
    if (terminal.power.isOn) terminal.store.db.pragma(`max_page_count = ${PAGE_COUNT_MAX}`)
    this.noted('disk-full', `${terminal.eui}'s disk has space again, ${when}`)
  }

  /**
   * Another process takes the hub's write lock for a while (one hold at a time). The lock is taken
   * before the payment, so its online request or records meet it.
   */
  private async holdDatabase(fault: BusyFault): Promise<void> {
    if (this.hub === undefined) return
    this.hold?.end()
    this.hold = new DatabaseHold(this.hub.databasePath, fault.hold_ms)
    this.injected('db-busy', `the hub's database is write-locked by another process for ${fault.hold_ms} ms`)
  }

  /** The hub killed and restarted (false if it was down already); a lock another process holds is let go first, as a restart waits for none. */
  private killHub(): boolean {
    this.hold?.end()
    return this.hub?.kill() === true
  }

  private cutPower(index: number): void {
    this.terminals[index]!.power.cut()
  }

  private partition(index: number, payments: number): void {
    if (this.partitions.has(index)) return
    const down = this.terminals[index]!.relay.down()
    this.partitions.set(index, { untilPayment: (this.payment ?? 0) + payments, down })
  }

  private async heal(index: number): Promise<void> {
    const partition = this.partitions.get(index)
    if (partition === undefined) return
    await partition.down
    this.partitions.delete(index)
    await this.terminals[index]!.relay.up()
  }
}

/** SQLite's default bound on a database's pages, which a disk with space never meets. */
const PAGE_COUNT_MAX = 4_294_967_294

/**
 * The store may not grow: packed into as few pages as its contents need (VACUUM), those pages are
 * all it gets, so the next write that needs one more page fails (SQLite cannot bound it below them).
 */
function fill(store: TerminalStore): void {
  store.db.exec('VACUUM')
  const pages = store.db.pragma('page_count', { simple: true }) as number
  store.db.pragma(`max_page_count = ${pages}`)
}

function offsetText(offset_ms: number): string {
  const minutes = Math.round(Math.abs(offset_ms) / MINUTE_MS * 10) / 10
  return `${minutes} min ${offset_ms < 0 ? 'behind' : 'ahead'}`
}

/** The stream a packet belongs to, when the network faults apply to it. */
function streamOf({ direction, topic }: RelayedPublish): PacketStream | undefined {
  let parsed
  try {
    parsed = parseTopic(topic)
  } catch {
    return undefined
  }
  if (direction === 'up') {
    if (parsed.kind === 'records') return 'records'
    if (parsed.kind === 'online/request') return 'online-request'
    return undefined
  }
  if (parsed.kind === 'acks') return 'acks'
  if (parsed.kind === 'online/response') return 'online-answer'
  if (parsed.kind === 'revocations' || parsed.kind === 'revocations/catch-up') return 'revocations'
  return undefined
}
