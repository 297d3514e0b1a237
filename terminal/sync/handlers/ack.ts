// Ack (hub → gateway, on `acks`): applied to the records it answers, and the batch waiting for it is done.

import { judgeAck } from '../../hub-messages'
import type { SyncContext } from './context'

export function onAck(context: SyncContext, payload: Uint8Array): void {
  const { store, events, clock, trust, uploader } = context
  const judged = judgeAck(payload, trust)
  if (!judged.accepted) {
    events.emit('sync-error', { code: 'ACK_REFUSED', message: `an ack was ignored: ${judged.refusal}` })
    return
  }
  const ack = judged.value
  const applied = store.applyAck(ack, clock.now_ms())
  events.emit('records-acked', { headSeq: ack.headSeq, ...applied })
  uploader.acked(ack.headSeq, applied)
}
