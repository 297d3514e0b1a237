// RefundResponse (hub → gateway, on `online/response`): the answer to the refund asked under its
// refund id, when the pinned hub key signed it; kept byte for byte, as the receipt of the refund.

import { toHex } from '../../../protocol/bytes'
import { ProtocolError } from '../../../protocol/errors'
import { refundResponseCodec } from '../../../protocol/messages/refund'
import type { SyncContext } from './context'

export function onRefundResponse(context: SyncContext, payload: Uint8Array): void {
  const { events, trust, requests } = context
  let response
  try {
    response = refundResponseCodec.decode(payload)
  } catch (error) {
    if (error instanceof ProtocolError) return
    throw error
  }
  if (!refundResponseCodec.verify(response, trust.hubPublicKey, trust.ed25519)) {
    events.emit('sync-error', { code: 'ONLINE_ANSWER_REFUSED', message: 'a refund answer not signed by the pinned hub key was ignored' })
    return
  }
  requests.answer('refund', toHex(response.refundId), { response, bytes: Uint8Array.from(payload) })
}
