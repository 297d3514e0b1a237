// The customer's pages, in the order the navigation lists them.

import type { PageRoute } from '../../routes'
import { Wallets } from './wallets'

export const customerRoutes: PageRoute[] = [
  { path: '/wallets', role: 'customer', nav: 'wallets', view: Wallets },
]
