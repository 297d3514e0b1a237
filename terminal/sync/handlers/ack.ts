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
  if (applied.otherChain) {
    // Not an answer to anything this chain sent: the batch with that head, if any, still waits for its own.
    events.emit('sync-error', { code: 'ACK_REFUSED', message: `an ack of another chain (head ${ack.headSeq}) was ignored` })
    return
  }
  events.emit('records-acked', { headSeq: ack.headSeq, ...applied })
  uploader.acked(ack.headSeq, applied)
}
