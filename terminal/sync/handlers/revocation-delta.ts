// RevocationDelta (hub → every gateway on `revocations`, the latest retained; or in a catch-up):
// applied when it follows the serial held; after a gap the gateway asks to catch up.

import { judgeRevocationDelta } from '../../hub-messages'
import { reportRefusal, revocationsApplied, type SyncContext } from './context'

export function onRevocationDelta(context: SyncContext, payload: Uint8Array): void {
  const { store, clock, trust, catchUp } = context
  const judged = judgeRevocationDelta(payload, trust, store.revocations.state().serial)
  if (!judged.accepted) return reportRefusal(context, judged.refusal, 'REVOCATIONS_REFUSED', 'a revocation message')
  catchUp.heard(judged.value.serial)
  const applied = store.revocations.applyDelta(judged.value, clock.now_ms())
  if (applied === 'applied') revocationsApplied(context)
  else if (applied === 'gap') catchUp.ask()
}
