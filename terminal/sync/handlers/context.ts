// What every handler of an inbound message works with: the store it applies to, the events it
// reports on, the trust it judges by, and the parts of the sync its message settles.

import type { Clock } from '../../../protocol/clock'
import type { TerminalEmitter } from '../../events'
import type { Refusal, Trust } from '../../hub-messages'
import type { ProofKeeper } from '../../proofs'
import type { TerminalStore } from '../../store/store'
import type { RevocationCatchUp } from '../catch-up'
import type { HubRequests } from '../requests'
import type { Uploader } from '../uploader'

export interface SyncContext {
  readonly store: TerminalStore
  readonly events: TerminalEmitter
  readonly clock: Clock
  readonly trust: Trust
  readonly uploader: Uploader
  readonly requests: HubRequests
  readonly catchUp: RevocationCatchUp
  readonly proofs: ProofKeeper
}

/** Applies one inbound message; what it cannot use it reports, or drops when that is normal. */
export type Handler = (context: SyncContext, payload: Uint8Array) => void

/** A stale message is normal (a retained one comes again on every connect); anything else is reported. */
export function reportRefusal(context: SyncContext, refusal: Refusal, code: string, what: string): void {
  if (refusal !== 'stale') context.events.emit('sync-error', { code, message: `${what} was ignored: ${refusal}` })
}

/** Says what the gateway now refuses, and settles a catch-up the change completed. */
export function revocationsApplied(context: SyncContext): void {
  const { serial, revoked } = context.store.revocations.state()
  context.events.emit('revocations', { serial, count: revoked })
  context.catchUp.applied()
}
