// Assigning a gateway to its owner and the merchant account its payments settle into: the
// operator's route calls it, and so does the validation of an order.

import { walletAccountId } from '../accounts'
import type { HubContext } from '../context'
import { HttpError } from '../http/errors'
import type { SqlQuery } from '../store/sql'
import type { Gateway, GatewayStore } from './store'

export interface Assignment {
  readonly ownerUserId: string
  /** A wallet of the owner; by default the owner's wallet in the gateway's price currency, opened if need be. */
  readonly merchantAccountId?: string
}

/**
 * Gives an available gateway an owner, or moves an assigned one to another owner before it is
 * provisioned. A provisioned gateway keeps its owner: its signed config and settled payments name
 * the merchant account they were made under. `recordAct` runs in the transaction that assigns (the audit log's entry),
 * through its `sql` only.
 */
export async function assignGateway(
  context: HubContext, store: GatewayStore, gatewayId: string, assignment: Assignment,
  recordAct: (sql: SqlQuery, assigned: Gateway) => Promise<void> = async () => undefined,
): Promise<Gateway> {
  const gateway = await store.byId(gatewayId)
  if (gateway === undefined) throw new HttpError(404, 'NOT_FOUND', `no gateway ${gatewayId}`)
  if (gateway.status !== 'available' && gateway.status !== 'assigned') {
    throw new HttpError(409, 'CONFLICT', `gateway ${gateway.eui} is ${gateway.status}; only an available or assigned gateway is assigned`)
  }
  const { ownerUserId } = assignment
  const roles = await store.userRoles(ownerUserId)
  if (roles === undefined) throw new HttpError(400, 'BAD_REQUEST', `no user ${ownerUserId}`)
  if (!roles.includes('owner')) throw new HttpError(400, 'BAD_REQUEST', `user ${ownerUserId} is a ${roles.join(' and ')}, not an owner`)

  const merchantAccountId = await merchantAccountFor(context, gateway, assignment)
  return context.engine.write(async (sql) => {
    if (!(await store.assign(gateway.id, ownerUserId, merchantAccountId, sql))) {
      throw new HttpError(409, 'CONFLICT', `gateway ${gateway.eui} changed meanwhile; try again`)
    }
    const assigned = (await store.byId(gateway.id, sql))!
    await recordAct(sql, assigned)
    return assigned
  })
}

async function merchantAccountFor(context: HubContext, gateway: Gateway, assignment: Assignment): Promise<string> {
  const { ownerUserId, merchantAccountId } = assignment
  if (merchantAccountId === undefined) {
    const wallet = await context.ledger.openWallet({
      id: walletAccountId(ownerUserId, gateway.priceCurrency), userId: ownerUserId, currency: gateway.priceCurrency,
    })
    return wallet.id
  }
  const account = await context.ledger.account(merchantAccountId)
  // An owner's payments may only ever be credited to that owner.
  if (account === undefined || account.kind !== 'wallet' || account.userId !== ownerUserId) {
    throw new HttpError(400, 'BAD_REQUEST', `merchantAccountId ${merchantAccountId} is not a wallet of user ${ownerUserId}`)
  }
  return account.id
}
