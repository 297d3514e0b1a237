// UpdateKey (hub → every gateway, retained on `update-key`): kept when newer than the one held; the
// key `payall-terminal update` checks a bundle's signature against.

import { judgeUpdateKey } from '../../hub-messages'
import { reportRefusal, type SyncContext } from './context'

export function onUpdateKey(context: SyncContext, payload: Uint8Array): void {
  const { store, events, clock, trust } = context
  const judged = judgeUpdateKey(payload, trust, store.updateKey.current()?.serial)
  if (!judged.accepted) return reportRefusal(context, judged.refusal, 'UPDATE_KEY_REFUSED', 'an UpdateKey')
  if (store.updateKey.save(judged.value, clock.now_ms())) events.emit('update-key', { serial: judged.value.serial })
}
