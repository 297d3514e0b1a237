// Who owns what, as the live events ask it once per event: the owner of a gateway (read each time, a
// gateway changes hands) and the user of a ledger account (never changes, so remembered).

import { BoundedLruCache } from '../../protocol/bounded-lru'
import type { GatewayStore } from '../gateways/store'
import type { LedgerStore } from '../ledger/store'
import type { AudienceLookups } from './live-events'

/** Account owners remembered; past it the least recently used is read again when asked. */
const ACCOUNT_OWNERS_REMEMBERED_MAX = 10_000

export function audienceLookups(gateways: Pick<GatewayStore, 'ownerOf'>, ledger: Pick<LedgerStore, 'account'>): AudienceLookups {
  // An account's user is set when it is opened and never changes; a system account has none (null).
  const accountOwners = new BoundedLruCache<string | null>(ACCOUNT_OWNERS_REMEMBERED_MAX)
  return {
    gatewayOwner: gatewayId => gateways.ownerOf(gatewayId),
    accountOwner: async accountId => {
      const remembered = accountOwners.get(accountId)
      if (remembered !== undefined) return remembered
      const account = await ledger.account(accountId)
      if (account === undefined) return undefined
      accountOwners.set(accountId, account.userId)
      return account.userId
    },
  }
}
