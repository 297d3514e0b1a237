// The money side of the hub's REST, registered in hub/app.ts as one plugin: sign-up, wallets, operator
// cash, ledger verification, owners' revenue and fee schedules, each a plugin of its own.

import type { FastifyPluginAsync } from 'fastify'
import type { HubContext } from '../context'
import { cashRoutes } from './cash'
import { feesRoutes } from './fees'
import { revenueRoutes } from './revenue'
import { signUpRoutes } from './sign-up'
import { verifyRoutes } from './verify'
import { walletRoutes } from './wallets'

export const moneyRoutes: FastifyPluginAsync<{ context: HubContext }> = async (app, { context }) => {
  await app.register(signUpRoutes, { context })
  await app.register(walletRoutes, { context })
  await app.register(cashRoutes, { context })
  await app.register(verifyRoutes, { context })
  await app.register(revenueRoutes, { context })
  await app.register(feesRoutes, { context })
}
