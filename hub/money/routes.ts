// The money side of the hub's REST, registered in hub/app.ts as one plugin: sign-up, wallets, operator
// cash, ledger verification, owners' revenue and fee schedules, each a plugin of its own.

import type { FastifyPluginAsync } from 'fastify'
import type { RouteOptions } from '../http/route-services'
import { cashRoutes } from './cash-routes'
import { feesRoutes } from './fees-routes'
import { revenueRoutes } from './revenue-routes'
import { signUpRoutes } from './sign-up-routes'
import { verifyRoutes } from './verify-routes'
import { walletRoutes } from './wallets-routes'

export const moneyRoutes: FastifyPluginAsync<RouteOptions> = async (app, options) => {
  await app.register(signUpRoutes, options)
  await app.register(walletRoutes, options)
  await app.register(cashRoutes, options)
  await app.register(verifyRoutes, options)
  await app.register(revenueRoutes, options)
  await app.register(feesRoutes, options)
}
