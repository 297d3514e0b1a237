// The operator's pages, in the order the navigation lists them.

import type { PageRoute } from '../../routes'
import { Flags } from './flags'
import { GatewayPage } from './gateway'
import { Gateways } from './gateways'
import { Kyc } from './kyc'
import { Ledger } from './ledger'
import { Orders } from './orders'
import { Overview } from './overview'
import { Settings } from './settings'
import { Users } from './users'

export const operatorRoutes: PageRoute[] = [
  { path: '/ops', role: 'operator', nav: 'opsOverview', view: Overview },
  { path: '/ops/orders', role: 'operator', nav: 'opsOrders', view: Orders },
  { path: '/ops/gateways', role: 'operator', nav: 'opsGateways', view: Gateways },
  { path: '/ops/gateways/:id', role: 'operator', view: GatewayPage },
  { path: '/ops/kyc', role: 'operator', nav: 'opsKyc', view: Kyc },
  { path: '/ops/flags', role: 'operator', nav: 'opsFlags', view: Flags },
  { path: '/ops/ledger', role: 'operator', nav: 'opsLedger', view: Ledger },
  { path: '/ops/settings', role: 'operator', nav: 'opsSettings', view: Settings },
  { path: '/ops/users', role: 'operator', nav: 'opsUsers', view: Users },
]
