// ProofBundle (hub → gateway, on `proofs`): the anchoring proofs of its transfers, kept by the ProofKeeper.

import type { SyncContext } from './context'

export function onProofBundle(context: SyncContext, payload: Uint8Array): void {
  context.proofs.onBundle(payload)
}
