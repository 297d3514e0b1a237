// The gateway owner's pages, in the order the navigation lists them.

import type { PageRoute } from '../../routes'
import { GatewayPage } from './gateway'
import { MyGateways } from './gateways'
import { Shop } from './shop'

export const ownerRoutes: PageRoute[] = [
  { path: '/owner', role: 'owner', nav: 'ownerGateways', view: MyGateways },
  { path: '/owner/gateways/:id', role: 'owner', view: GatewayPage },
  // An owner who is not also a customer orders more from the link on their home page.
  { path: '/owner/shop', role: 'owner', view: Shop },
]

/**
 * Ordering, in the customer's section of the navigation: a customer orders their first gateway there
 * and becomes an owner. Listed after the customer's own pages (app.tsx), so the wallets stay their home.
 */
export const shopRoutes: PageRoute[] = [
  { path: '/owner/shop', role: 'customer', nav: 'shop', view: Shop },
]
