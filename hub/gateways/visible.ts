// Whose gateway a caller may look into: an operator any gateway, an owner only their own. Shared by every route that
// shows a gateway's details, history or revenue, so that they refuse alike.

import { HttpError } from '../http/errors'
import type { Role } from '../http/roles'
import type { Gateway, GatewayStore } from './store'

/** The gateway, if the caller may see it: 404 NOT_FOUND when there is none, 403 FORBIDDEN when it is another owner's. */
export async function gatewayOfCaller(
  gateways: Pick<GatewayStore, 'byId'>, caller: { readonly userId: string; readonly role: Role }, gatewayId: string,
): Promise<Gateway> {
  const gateway = await gateways.byId(gatewayId)
  if (gateway === undefined) throw new HttpError(404, 'NOT_FOUND', `no gateway ${gatewayId}`)
  if (caller.role !== 'operator' && gateway.ownerUserId !== caller.userId) {
    throw new HttpError(403, 'FORBIDDEN', `gateway ${gatewayId} is not one of yours`)
  }
  return gateway
}
