// GET /metrics on the REST API: the hub's Prometheus metrics for an operator's token. A scraper
// without one uses the loopback listener instead (listener.ts, --metrics-port).

import type { FastifyPluginAsync } from 'fastify'
import { requireRole } from '../http/auth'
import { errorReplies } from '../http/errors'
import type { RouteOptions } from '../http/route-services'
import { BEARER_SECURITY } from '../money/wire'
import { METRICS_DESCRIPTION, METRICS_REPLY_SCHEMA } from './exposition'

const metricsSchema = {
  summary: 'The hub’s metrics for Prometheus (operator)',
  description: METRICS_DESCRIPTION,
  tags: ['health'],
  security: BEARER_SECURITY,
  response: { 200: METRICS_REPLY_SCHEMA, ...errorReplies(401, 403) },
} as const

export const metricsRoutes: FastifyPluginAsync<RouteOptions> = async (app, { services }) => {
  app.get('/metrics', { schema: metricsSchema, preValidation: [app.authenticate, requireRole('operator')] }, async (_request, reply) => {
    const { text, contentType } = await services.metrics.scrape()
    return reply.type(contentType).header('cache-control', 'no-store').send(text)
  })
}
