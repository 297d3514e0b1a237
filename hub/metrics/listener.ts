// The loopback listener of --metrics-port: GET /metrics without a token, for a Prometheus scraper on
// this machine. It binds 127.0.0.1 only, so nothing off the machine reaches it; anything else is 404.

import Fastify, { type FastifyBaseLogger } from 'fastify'
import { handleError, handleNotFound } from '../http/errors'
import type { HubMetrics } from './metrics'
import { METRICS_DESCRIPTION, METRICS_REPLY_SCHEMA } from './exposition'

const METRICS_HOST = '127.0.0.1'

export interface MetricsListener {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string
  close(): Promise<void>
}

export async function startMetricsListener(metrics: HubMetrics, port: number, log: FastifyBaseLogger): Promise<MetricsListener> {
  const app = Fastify({ loggerInstance: log, forceCloseConnections: true })
  app.setErrorHandler(handleError)
  app.setNotFoundHandler(handleNotFound)
  const schema = { summary: 'The hub’s metrics for Prometheus', description: METRICS_DESCRIPTION, response: { 200: METRICS_REPLY_SCHEMA } }
  app.get('/metrics', { schema }, async (_request, reply) => {
    const { text, contentType } = await metrics.scrape()
    return reply.type(contentType).header('cache-control', 'no-store').send(text)
  })
  try {
    await app.listen({ port, host: METRICS_HOST })
    const address = app.server.address()
    if (address === null || typeof address === 'string') throw new Error('the metrics listener has no TCP address')
    return { url: `http://${METRICS_HOST}:${address.port}`, close: () => app.close() }
  } catch (error) {
    // Closed whether it listened or not: a failed start leaves no port taken.
    await app.close()
    throw error
  }
}
