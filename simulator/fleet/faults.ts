// What a fault simulation does to a fleet run, as the run sees it: the hub it plays against, an
// inspector on every terminal's link, and at fixed points of the payment sequence what befalls the
// next payment. The run reports the faults it injects itself (a power cut at the tap, an attacker's
// tap). simulator/fault/driver.ts draws them all from the run's seed.

import type { Clock } from '../../protocol/clock'
import type { LinkInspector } from '../link-proxy'
import type { TerminalStore } from '../../terminal/store/store'
import type { ChainUnderCheck } from './anchors'
import type { FleetHub, OperatorEnv } from './hub'
import type { InvariantFailure } from './invariants'
import type { LoraGateway } from '../fault/lora'
import type { PaymentPowerCut, SimulatedTerminal } from './terminal'

/** Every fault the simulation injects, by kind (the unit of --faults and of the counts). */
export const FAULT_KINDS = [
  'drop', 'duplicate', 'reorder', 'delay', 'partition', 'power-loss', 'power-online', 'clock', 'disk-full', 'hub-kill', 'db-busy', 'chain-down', 'hub-kill-anchor', 'replay', 'forge', 'revoke', 'expired', 'pull',
  'lora-loss', 'modem-garbage',
] as const
export type FaultKind = (typeof FAULT_KINDS)[number]

/** What befalls one planned payment. */
export interface PaymentFaults {
  /** The gateway loses its power at that point of this payment ('online': once its online request has left). */
  readonly power?: PaymentPowerCut | 'online'
  /** Before the payment, an attacker taps this gateway: a captured authorization again, or a forged one. */
  readonly attack?: 'replay' | 'forge'
  /** Before the payment, its customer revokes their voucher (a phone reported stolen) and the phone pays on. */
  readonly revoke?: true
  /**
   * The customer comes back once their voucher has expired, their phone running a stale wallet app
   * that pays with it all the same: the gateway's clock is past the voucher's expiry for the payment.
   */
  readonly expired?: true
  /** The customer pulls the phone away mid-tap: before it signs, or once it has signed but before the terminal hears it. */
  readonly pull?: 'before-signing' | 'after-signing'
}

export interface FaultEvent {
  /** The payment under way (its index in the plan), or null outside the payments. */
  readonly payment: number | null
  readonly kind: FaultKind
  readonly detail: string
}

export interface FaultReport {
  readonly injected: Readonly<Record<FaultKind, number>>
  /** In the order they happened; the first EVENTS_KEPT_MAX of them. */
  readonly events: readonly FaultEvent[]
}

export interface FleetFaults {
  /**
   * How long a gateway waits for the ack of a batch before it sends it again: a hub whose fault
   * leaves a batch unanswered keeps the link up, so only this wait ends (the real gateway's 20 s
   * would make runs long).
   */
  readonly ackTimeout_ms: number
  /** Starts the hub the run plays against (one it can kill). */
  startHub(dataDir: string, env: OperatorEnv): Promise<FleetHub>
  /** Reads terminal `index`'s packets; set before its first connection. */
  inspector(index: number): LinkInspector
  /** Terminal `index`'s clock, which the faults may set off true time; one for the life of the gateway, across its boots. */
  clock(index: number): Clock
  /** Terminal `index`'s LoRa modem (joined) and its reporter's clock, if it carries one; asked at each boot. */
  lora(index: number, eui: string): Promise<LoraGateway | undefined>
  /** Terminal `index` runs over `store` now (enrolled, or booted again): a disk that is full stays full. */
  opened(index: number, store: TerminalStore): void
  /** The payments begin: faults are injected from now on. `terminals` is the fleet's live list (a terminal that boots again replaces itself in it). */
  begin(terminals: readonly SimulatedTerminal[]): void
  /** A fixed point before payment `index`: the hub serves, partitions due end; what befalls the payment. */
  beforePayment(index: number): Promise<PaymentFaults>
  /**
   * Whether a fault holds terminal `index` offline now: a partition (its link down), or a clock so
   * far off that the hub refuses its MQTT password (its link up, every connection refused).
   */
  partitioned(index: number): boolean
  /** Terminal `index`'s phone has signed its answer, which the terminal has not read yet. */
  tapped(index: number): void
  /** Moves terminal `index`'s time on past `expiresAt_ms` for one payment; the function returned moves it back. */
  pastExpiry(index: number, expiresAt_ms: number, detail: string): () => void
  /** The online request terminal `index` sends next is the last thing it does before its power is cut. */
  cutPowerAfterOnlineRequest(index: number): { fired(): boolean; disarm(): void }
  /** Resolves once the hub serves (after a kill, once it is back). */
  hubUp(): Promise<void>
  /** The payments are over: no more faults, every partition ends, the hub serves. */
  end(): Promise<void>
  /** The chain the hub anchors on, for the checks; undefined when it anchors nowhere. */
  chain(): ChainUnderCheck | undefined
  /** After the last sync: what the faults' own checks find (the radio's), as failures. */
  check(operator: FleetHub['operator'], terminals: readonly SimulatedTerminal[]): Promise<InvariantFailure[]>
  /** A fault the run injected itself. */
  injected(kind: FaultKind, detail: string): void
  report(): FaultReport
}
