// RevocationList (hub → gateway, a part of the whole list in a catch-up): the parts of a newer
// serial are put together in the store, which swaps the list in once it has them all.

import { judgeRevocationList } from '../../hub-messages'
import { reportRefusal, revocationsApplied, type SyncContext } from './context'

export function onRevocationList(context: SyncContext, payload: Uint8Array): void {
  const { store, clock, trust, catchUp } = context
  const judged = judgeRevocationList(payload, trust, store.revocations.state().serial)
  if (!judged.accepted) return reportRefusal(context, judged.refusal, 'REVOCATIONS_REFUSED', 'a revocation message')
  catchUp.heard(judged.value.serial)
  if (store.revocations.applyListPart(judged.value, clock.now_ms()) === 'applied') revocationsApplied(context)
}
