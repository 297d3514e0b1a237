// Provisioning gateways in bulk (a fleet rollout): an operator adds up to BULK_ITEMS_MAX gateways to the catalog,
// assigns them to one owner (who gains the owner role, as a validated order gives it) and issues each a one-time
// provisioning token, in one transaction. Each gateway then provisions itself with its token (POST /provision).
//
// A retry of the same request (same idempotency key, same items) creates nothing: it finds the gateways it made,
// and issues fresh tokens for those not provisioned yet (each replaces the one before; the hub keeps only hashes,
// so the first reply's tokens cannot be shown again).

import { currencyByCode } from '../../protocol/money'
import { parseEui } from '../../protocol/eui'
import { isProtocolError } from '../../protocol/errors'
import { walletAccountId } from '../accounts'
import { userNameOf } from '../audit/store'
import type { HubContext } from '../context'
import { createGateway, type NewGatewayInput } from '../gateways/catalog'
import { clearRetainedMessages } from '../gateways/config'
import { issueProvisioningToken } from '../gateways/provisioning'
import type { Gateway } from '../gateways/store'
import type { HubServices } from '../http/route-services'
import { HttpError } from '../http/errors'
import { bulkGatewayId } from './ids'
import { ItemRefusals } from './refusal'

export interface BulkGatewaysRequest {
  readonly idempotencyKey: string
  readonly ownerUserId: string
  readonly items: readonly NewGatewayInput[]
}

interface BulkGateway {
  readonly index: number
  readonly gatewayId: string
  readonly eui: string
  readonly status: Gateway['status']
  /** Null for a gateway a replayed request finds provisioned already: it needs no token. */
  readonly token: string | null
  readonly expiresAtMs: number | null
}

export interface BulkGatewaysOutcome {
  /** True when the request had been carried out before: nothing was created now. */
  readonly replayed: boolean
  readonly gateways: readonly BulkGateway[]
}

/** Carries out the request, or replays it; a refused item (bad EUI, EUI taken, bad price) refuses the chunk (BulkRefusal). */
export async function provisionGatewaysInBulk(
  context: HubContext, services: HubServices, actorId: string, request: BulkGatewaysRequest,
): Promise<BulkGatewaysOutcome> {
  const { gateways: store, users, audit } = services
  const { idempotencyKey, ownerUserId, items } = request
  const owner = await users.byId(ownerUserId)
  if (owner === undefined) throw new HttpError(400, 'BAD_REQUEST', `no user ${ownerUserId}`)
  if (owner.suspendedAtMs !== null) throw new HttpError(409, 'ACCOUNT_SUSPENDED', `user ${ownerUserId} is suspended`)

  const replayed = await replay(context, services, request)
  if (replayed !== undefined) return replayed

  // The owner's wallet in each price currency, where the gateways' payments settle; opening one twice changes nothing.
  const merchantAccounts = new Map<string, string>()
  for (const item of items) {
    const currency = knownCurrency(item.currency ?? 'XOF')
    if (currency === undefined || merchantAccounts.has(currency)) continue
    const wallet = await context.ledger.openWallet({ id: walletAccountId(ownerUserId, currency), userId: ownerUserId, currency })
    merchantAccounts.set(currency, wallet.id)
  }

  const now_ms = context.clock.now_ms()
  const { gateways, superseded, promoted } = await context.engine.write(async (sql) => {
    const refusals = new ItemRefusals()
    const made: BulkGateway[] = []
    const superseded: string[] = []
    for (const [index, item] of items.entries()) {
      await refusals.checkAsync(index, async () => {
        const { gateway, supersedes } = await createGateway(context, store, sql, item, bulkGatewayId(idempotencyKey, index))
        if (supersedes) superseded.push(gateway.eui)
        if (!(await store.assign(gateway.id, ownerUserId, merchantAccounts.get(gateway.priceCurrency)!, sql))) {
          throw new HttpError(409, 'CONFLICT', `gateway ${gateway.eui} changed meanwhile; try again`)
        }
        const { token, expiresAtMs } = await issueProvisioningToken(context, store, sql, gateway.id)
        made.push({ index, gatewayId: gateway.id, eui: gateway.eui, status: 'assigned', token, expiresAtMs })
      })
    }
    refusals.throwIfAny(items.length)
    const promoted = await users.addRoleIn(sql, ownerUserId, 'owner', now_ms)
    await audit.recordIn(sql, {
      atMs: now_ms, actorId, action: 'bulk.gateways', targetId: ownerUserId, targetName: userNameOf(owner),
      detail: `${made.length} gateways assigned, each with a provisioning token; idempotency key ${idempotencyKey}; `
        + `EUIs ${made[0]!.eui} … ${made[made.length - 1]!.eui}`,
    })
    return { gateways: made, superseded, promoted }
  })
  if (promoted) users.accessChanged(ownerUserId)
  // A retired gateway's config and presence, if the broker still holds them, are not the new gateway's.
  for (const eui of superseded) void clearRetainedMessages(context, eui)
  return { replayed: false, gateways }
}

/**
 * The request carried out before under this key, with fresh tokens for its gateways not yet provisioned; undefined
 * when the key is new. The same key with other items is refused (IDEMPOTENCY_CONFLICT), as a cash-in's is.
 */
async function replay(
  context: HubContext, { gateways: store }: HubServices, request: BulkGatewaysRequest,
): Promise<BulkGatewaysOutcome | undefined> {
  const { idempotencyKey, ownerUserId, items } = request
  if (await store.byId(bulkGatewayId(idempotencyKey, 0)) === undefined) return undefined
  const conflict = (why: string): HttpError => new HttpError(409, 'IDEMPOTENCY_CONFLICT',
    `idempotency key ${JSON.stringify(idempotencyKey)} was used for another bulk provisioning: ${why}`)
  if (await store.byId(bulkGatewayId(idempotencyKey, items.length)) !== undefined) throw conflict('it had more items')
  return context.engine.write(async (sql): Promise<BulkGatewaysOutcome> => {
    const gateways: BulkGateway[] = []
    for (const [index, item] of items.entries()) {
      const gateway = await store.byId(bulkGatewayId(idempotencyKey, index), sql)
      if (gateway === undefined) throw conflict(`it had ${index} items`)
      if (gateway.eui !== canonicalEui(item.eui) || gateway.name !== item.name || gateway.type !== item.type
        || gateway.ownerUserId !== ownerUserId) {
        throw conflict(`item ${index} was gateway ${gateway.eui} "${gateway.name}" for user ${gateway.ownerUserId ?? 'nobody'}`)
      }
      if (gateway.status !== 'assigned') {
        gateways.push({ index, gatewayId: gateway.id, eui: gateway.eui, status: gateway.status, token: null, expiresAtMs: null })
        continue
      }
      const { token, expiresAtMs } = await issueProvisioningToken(context, store, sql, gateway.id)
      gateways.push({ index, gatewayId: gateway.id, eui: gateway.eui, status: gateway.status, token, expiresAtMs })
    }
    return { replayed: true, gateways }
  })
}

function canonicalEui(text: string): string | undefined {
  try {
    return parseEui(text)
  } catch (error) {
    if (isProtocolError(error)) return undefined
    throw error
  }
}

function knownCurrency(code: string): string | undefined {
  try {
    return currencyByCode(code).code
  } catch (error) {
    if (isProtocolError(error)) return undefined
    throw error
  }
}
