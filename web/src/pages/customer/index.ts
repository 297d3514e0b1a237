// The customer's pages, in the order the navigation lists them.

import type { PageRoute } from '../../routes'
import { Devices } from './devices'
import { Kyc } from './kyc'
import { Pay } from './pay'
import { Profile } from './profile'
import { Wallets } from './wallets'

export const customerRoutes: PageRoute[] = [
  { path: '/wallets', role: 'customer', nav: 'wallets', view: Wallets },
  { path: '/devices', role: 'customer', nav: 'devices', view: Devices },
  { path: '/pay', role: 'customer', nav: 'pay', view: Pay },
  { path: '/kyc', role: 'customer', nav: 'kyc', view: Kyc },
  { path: '/profile', role: 'customer', nav: 'profile', view: Profile },
]
