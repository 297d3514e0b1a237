// OnlineVoidResponse (hub → gateway, on `online/response`): the answer to a void, asked under its
// transfer id, when the pinned hub key signed it; kept byte for byte with the void.

import { toHex } from '../../../protocol/bytes'
import { ProtocolError } from '../../../protocol/errors'
import { onlineVoidResponseCodec } from '../../../protocol/messages/online-void'
import type { SyncContext } from './context'

export function onOnlineVoidResponse(context: SyncContext, payload: Uint8Array): void {
  const { events, trust, requests } = context
  let response
  try {
    response = onlineVoidResponseCodec.decode(payload)
  } catch (error) {
    if (error instanceof ProtocolError) return
    throw error
  }
  if (!onlineVoidResponseCodec.verify(response, trust.hubPublicKey, trust.ed25519)) {
    events.emit('sync-error', { code: 'ONLINE_ANSWER_REFUSED', message: 'a void answer not signed by the pinned hub key was ignored' })
    return
  }
  requests.answer('online-void', toHex(response.transferId), { response, bytes: Uint8Array.from(payload) })
}
