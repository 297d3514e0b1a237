// Slows password guessing by client address and by login identifier without letting a guesser lock the owner
// out (after OWASP's Authentication and Credential Stuffing cheat sheets). An address that keeps failing waits
// longer and longer (429). An email or phone that keeps failing locks for a while (423), but only against the
// addresses that failed recently: its owner still logs in from anywhere else. Identifiers are tracked by hash
// whether or not an account has them, so no sequence of answers tells a known identifier from an unknown one.

import { isIP } from 'node:net'
import { sha256, toHex } from '../../protocol/bytes'
import { HOUR_MS, MINUTE_MS, SECOND_MS, type Clock } from '../../protocol/clock'
import { HttpError } from '../http/errors'


export interface LoginThrottleSettings {
  /** Failures an address may have before it must wait between attempts. */
  readonly clientFailuresFree: number
  /** The wait after the first failure past the free ones; it doubles with each further failure, up to the max. */
  readonly clientDelayBase_ms: number
  readonly clientDelayMax_ms: number
  /** An address's failures leak away, one per this long, so occasional typos behind a shared address never add up. */
  readonly clientLeak_ms: number
  /** How long an address counts as having failed recently, which a lock refuses. */
  readonly clientRecent_ms: number
  /** Failures against one identifier, from any addresses, since the last lock or good login, that lock it. */
  readonly identifierFailuresMax: number
  /** The first lock; each further one doubles, up to the max. */
  readonly identifierLockBase_ms: number
  readonly identifierLockMax_ms: number
  /** An unlocked identifier's failures and lock count are forgotten this long after its last failure. */
  readonly identifierForget_ms: number
  /** Entries kept of each kind; past this the least recently used is forgotten. */
  readonly clientsMax: number
  readonly identifiersMax: number
}

export const LOGIN_THROTTLE_DEFAULTS: LoginThrottleSettings = {
  clientFailuresFree: 5,
  clientDelayBase_ms: SECOND_MS,
  clientDelayMax_ms: 15 * MINUTE_MS,
  clientLeak_ms: 15 * MINUTE_MS,
  clientRecent_ms: 24 * HOUR_MS,
  identifierFailuresMax: 10,
  identifierLockBase_ms: 15 * MINUTE_MS,
  identifierLockMax_ms: 24 * HOUR_MS,
  identifierForget_ms: 7 * 24 * HOUR_MS,
  clientsMax: 50_000,
  identifiersMax: 50_000,
}

export const CLIENT_WAIT_MESSAGE = 'too many failed attempts from your address; wait before trying again'
export const IDENTIFIER_LOCKED_MESSAGE =
  'too many failed logins for this email or phone: locked for a while to addresses that failed; try later or from another device'

interface ClientState {
  /** Failures still counted: they leak away one per clientLeak_ms, counted from leakFromMs. */
  failures: number
  leakFromMs: number
  lastFailureMs: number
  /** Attempts being checked now, so parallel guesses cannot all pass through one free attempt. */
  inFlight: number
}

interface IdentifierState {
  failures: number
  lastFailureMs: number
  locks: number
  lockedUntilMs: number
}

/** A login identifier as the throttle keys it: a hash of the kind and the normalised value, never the value. */
export function identifierKey(kind: 'email' | 'phone', normalized: string): string {
  return toHex(sha256(Buffer.from(`${kind}:${normalized}`, 'utf8')).subarray(0, 16))
}

/**
 * The address the throttle counts a client by: an IPv4 address (IPv4-mapped IPv6 included) as it is, an IPv6
 * address by its /64, which one subscriber usually holds whole.
 */
export function clientKey(address: string): string {
  const zoneless = address.split('%')[0]!
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(zoneless)
  if (mapped !== null) return mapped[1]!
  if (isIP(zoneless) !== 6) return zoneless
  const [head = '', tail] = zoneless.split('::')
  // A dotted IPv4 tail (64:ff9b::192.0.2.1) fills the last two hextets, which a /64 never reaches.
  const hextets = (part: string) => (part === '' ? [] : part.split(':').flatMap((piece) => (piece.includes('.') ? ['0', '0'] : [piece])))
  const before = hextets(head)
  const after = tail === undefined ? [] : hextets(tail)
  const full = [...before, ...Array<string>(8 - before.length - after.length).fill('0'), ...after]
  return `${full.slice(0, 4).map((hextet) => Number.parseInt(hextet, 16).toString(16)).join(':')}::/64`
}

/** 429 or 423 saying when to come back, which the error handler sends as Retry-After. */
function throttled(status: 429 | 423, message: string, retryAfter_ms: number): HttpError {
  return new HttpError(status, status === 429 ? 'TOO_MANY_REQUESTS' : 'LOCKED', message, {
    retryAfterSeconds: Math.max(1, Math.ceil(retryAfter_ms / SECOND_MS)),
  })
}

export class LoginThrottle {
  private readonly clients = new Map<string, ClientState>()
  private readonly identifiers = new Map<string, IdentifierState>()

  constructor(private readonly clock: Clock, private readonly settings: LoginThrottleSettings = LOGIN_THROTTLE_DEFAULTS) {}

  /**
   * Runs `check` for a credential presented from `clientAddress` (request.ip) for `identifierKeys` (none for a
   * reset token), unless the client must wait (HttpError 429) or an identifier is locked against it (423);
   * neither refusal runs the check, so a refusal costs no hash. `check` gives what the credential opened, or
   * undefined when it was wrong, which counts as a failure of the client and of every identifier.
   */
  async attempt<T>(
    clientAddress: string, identifierKeys: readonly string[], check: () => Promise<T | undefined>,
  ): Promise<T | undefined> {
    const now_ms = this.clock.now_ms()
    const clientState = this.client(clientKey(clientAddress), now_ms)
    this.refuseIfWaiting(clientState, now_ms)
    const failedRecently = clientState.lastFailureMs > now_ms - this.settings.clientRecent_ms
    const identifierStates = identifierKeys.map((key) => this.identifier(key, now_ms))
    if (failedRecently) {
      const lockedUntil_ms = Math.max(0, ...identifierStates.map((state) => state.lockedUntilMs))
      if (lockedUntil_ms > now_ms) throw throttled(423, IDENTIFIER_LOCKED_MESSAGE, lockedUntil_ms - now_ms)
    }
    clientState.inFlight++
    let opened: T | undefined
    try {
      opened = await check()
    } finally {
      clientState.inFlight--
    }
    const end_ms = this.clock.now_ms()
    if (opened === undefined) {
      this.clientFailed(clientState, end_ms)
      for (const state of identifierStates) this.identifierFailed(state, end_ms)
    } else {
      // The owner got in: earlier failures against the identifier were not theirs to answer for. A lock in
      // force stays, for the addresses that failed.
      for (const state of identifierStates) state.failures = 0
    }
    return opened
  }

  private refuseIfWaiting(state: ClientState, now_ms: number): void {
    const { clientFailuresFree, clientDelayBase_ms } = this.settings
    if (state.failures + state.inFlight < clientFailuresFree) return
    // Out of free attempts, one at a time: wait for the attempt being checked.
    if (state.inFlight > 0) throw throttled(429, CLIENT_WAIT_MESSAGE, clientDelayBase_ms)
    const waitUntil_ms = state.lastFailureMs + this.clientDelay_ms(state.failures)
    if (now_ms < waitUntil_ms) throw throttled(429, CLIENT_WAIT_MESSAGE, waitUntil_ms - now_ms)
  }

  private clientDelay_ms(failures: number): number {
    const { clientFailuresFree, clientDelayBase_ms, clientDelayMax_ms } = this.settings
    const doublings = Math.min(failures - clientFailuresFree, 32)
    return Math.min(clientDelayBase_ms * 2 ** doublings, clientDelayMax_ms)
  }

  private clientFailed(state: ClientState, now_ms: number): void {
    this.leak(state, now_ms)
    if (state.failures === 0) state.leakFromMs = now_ms
    state.failures++
    state.lastFailureMs = now_ms
  }

  private identifierFailed(state: IdentifierState, now_ms: number): void {
    const { identifierFailuresMax, identifierLockBase_ms, identifierLockMax_ms } = this.settings
    state.failures++
    state.lastFailureMs = now_ms
    if (state.failures < identifierFailuresMax || state.lockedUntilMs > now_ms) return
    state.lockedUntilMs = now_ms + Math.min(identifierLockBase_ms * 2 ** Math.min(state.locks, 32), identifierLockMax_ms)
    state.locks++
    state.failures = 0
  }

  private leak(state: ClientState, now_ms: number): void {
    const leaked = Math.floor((now_ms - state.leakFromMs) / this.settings.clientLeak_ms)
    if (leaked <= 0) return
    state.failures = Math.max(0, state.failures - leaked)
    state.leakFromMs += leaked * this.settings.clientLeak_ms
  }

  /** The client's state, leaked to now; a new one when it was never seen or is wholly forgotten. */
  private client(key: string, now_ms: number): ClientState {
    let state = this.clients.get(key)
    if (state !== undefined) {
      this.leak(state, now_ms)
      const idle = state.failures === 0 && state.inFlight === 0
      if (idle && state.lastFailureMs <= now_ms - this.settings.clientRecent_ms) state = undefined
    }
    state ??= { failures: 0, leakFromMs: now_ms, lastFailureMs: Number.NEGATIVE_INFINITY, inFlight: 0 }
    touch(this.clients, key, state, this.settings.clientsMax)
    return state
  }

  private identifier(key: string, now_ms: number): IdentifierState {
    let state = this.identifiers.get(key)
    if (state !== undefined && state.lockedUntilMs <= now_ms && state.lastFailureMs <= now_ms - this.settings.identifierForget_ms) {
      state = undefined
    }
    state ??= { failures: 0, lastFailureMs: Number.NEGATIVE_INFINITY, locks: 0, lockedUntilMs: 0 }
    touch(this.identifiers, key, state, this.settings.identifiersMax)
    return state
  }
}

/** Re-inserts, so the Map's order is least recently used first, and forgets the oldest past `entriesMax`. */
function touch<V>(map: Map<string, V>, key: string, value: V, entries_max: number): void {
  map.delete(key)
  map.set(key, value)
  if (map.size > entries_max) map.delete(map.keys().next().value!)
}
