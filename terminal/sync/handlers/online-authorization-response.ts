// OnlineAuthorizationResponse (hub → gateway, on `online/response`): the answer to the question
// asked under its correlation id, when the pinned hub key signed it and it is about that payment.

import { toHex } from '../../../protocol/bytes'
import { ProtocolError } from '../../../protocol/errors'
import { onlineAuthorizationResponseCodec } from '../../../protocol/messages/online-authorization'
import type { SyncContext } from './context'

export function onOnlineAuthorizationResponse(context: SyncContext, payload: Uint8Array): void {
  const { events, trust, requests } = context
  let response
  try {
    response = onlineAuthorizationResponseCodec.decode(payload)
  } catch (error) {
    if (error instanceof ProtocolError) return
    throw error
  }
  if (!onlineAuthorizationResponseCodec.verify(response, trust.hubPublicKey, trust.ed25519)) {
    events.emit('sync-error', { code: 'ONLINE_ANSWER_REFUSED', message: 'an online answer not signed by the pinned hub key was ignored' })
    return
  }
  requests.answer('online-authorization', toHex(response.correlationId), response)
}
