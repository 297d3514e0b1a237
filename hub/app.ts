// The hub's HTTP application: every plugin is registered here, in this order, and nowhere else.
// Building it opens no socket; hub/server.ts listens, tests call app.inject().

import fastifyCors from '@fastify/cors'
import Fastify, { type FastifyInstance } from 'fastify'
import type { HubContext } from './context'
import type { RouteOptions } from './http/route-services'
import { buildServices, type HubServices } from './services'
import { anchorRoutes } from './anchor/routes'
import { auditRoutes } from './audit/routes'
import { bulkRoutes } from './bulk/routes'
import { authPlugin } from './http/auth'
import { docs } from './http/docs'
import { ERROR_REPLY_SCHEMA, handleClientError, handleError, handleNotFound } from './http/errors'
import { gatewayRoutes } from './gateways/routes'
import { healthRoutes } from './http/health'
import { flagRoutes } from './ingest/flags-routes'
import { kycRoutes } from './kyc/routes'
import { metricsRoutes } from './metrics/routes'
import { mobileAuthRoutes } from './mobile/routes'
import { mobileDeviceRoutes } from './mobile/device-routes'
import { moneyRoutes } from './money/routes'
import { notifyPlugin } from './notify/plugin'
import { orderRoutes } from './orders/routes'
import { securityHeaders } from './http/security-headers'
import { transactionRoutes } from './transactions/routes'
import { dashboardRoutes } from './dashboard/routes'
import { emailRoutes } from './users/email-routes'
import { eventRoutes } from './events/routes'
import { passwordRoutes } from './users/password-routes'
import { phoneRoutes } from './users/phone-routes'
import { profileRoutes } from './users/profile-routes'
import { authRateLimits } from './users/rate-limits'
import { validatorCompiler } from './http/validation'
import { usersRoutes } from './users/routes'
import { adminUserRoutes } from './users/admin-routes'
import { voucherRoutes } from './vouchers/routes'
import { webApp } from './http/web-app'

/** Bodies above this are refused with 413 before they are parsed. */
export const BODY_LIMIT_BYTES = 1024 * 1024
const CORS_PREFLIGHT_CACHE_SECONDS = 600
/**
 * Node checks the header and request timeouts on an interval: this many checks per timeout cut a slow client off
 * at most a quarter of the timeout late.
 */
const TIMEOUT_CHECKS_PER_TIMEOUT = 4
/** Node's own interval, which also bounds ours. */
const TIMEOUT_CHECK_INTERVAL_MAX_MS = 30_000

/** `services` are the hub's (hub/server.ts hands them over); a test that builds only the app gets its own. */
export async function buildApp(context: HubContext, services: HubServices = buildServices(context)): Promise<FastifyInstance> {
  const { config } = context
  // Headers are part of the request: a request timeout shorter than the header timeout governs both (Node insists).
  const headersTimeout = Math.min(config.httpHeadersTimeout_ms, config.httpRequestTimeout_ms)
  const serverOptions = {
    requestTimeout: config.httpRequestTimeout_ms,
    headersTimeout,
    connectionsCheckingInterval: Math.min(Math.ceil(headersTimeout / TIMEOUT_CHECKS_PER_TIMEOUT), TIMEOUT_CHECK_INTERVAL_MAX_MS),
  }
  const app = Fastify({
    loggerInstance: context.log,
    bodyLimit: BODY_LIMIT_BYTES,
    // Stop waiting for idle keep-alive connections on close, so a graceful stop is also a quick one.
    forceCloseConnections: 'idle',
    // A client that trickles its headers or body (slow loris), or goes quiet, loses its connection.
    requestTimeout: config.httpRequestTimeout_ms,
    connectionTimeout: config.httpConnectionTimeout_ms,
    keepAliveTimeout: config.httpKeepAliveTimeout_ms,
    // With a certificate the same server options go to an HTTPS server, and nothing answers plain HTTP.
    ...(context.tls === undefined
      ? { http: serverOptions }
      : { https: { ...serverOptions, cert: context.tls.certificateChainPem, key: context.tls.keyPem } }),
    clientErrorHandler: handleClientError,
    // Rate limits key on request.ip: the socket's peer, or what a trusted proxy says the client was.
    ...(config.trustProxy.length > 0 ? { trustProxy: [...config.trustProxy] } : {}),
  })
  // Past the cap Node closes a new connection at once, unanswered, so the connections held stay bounded.
  app.server.maxConnections = config.httpConnectionsMax

  // Errors: one shape on the wire for every failure, including unknown routes.
  app.setValidatorCompiler(validatorCompiler())
  app.setErrorHandler(handleError)
  app.setNotFoundHandler(handleNotFound)
  app.addSchema(ERROR_REPLY_SCHEMA)

  // Cross-cutting: headers on every reply, CORS only for the configured origins.
  await app.register(securityHeaders)
  if (config.corsOrigins.length > 0) {
    await app.register(fastifyCors, {
      origin: config.corsOrigins.includes('*') ? '*' : [...config.corsOrigins],
      methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: ['Authorization', 'Content-Type'],
      maxAge: CORS_PREFLIGHT_CACHE_SECONDS,
    })
  }

  // Before any route, so the OpenAPI document sees them all.
  await app.register(docs)
  await app.register(authPlugin, { context, accessChanged: userId => services.events.accessChanged(userId) })
  // Before any route: the outbox every route may write to, and the rate limits of the auth routes.
  await app.register(notifyPlugin, { context })
  await app.register(authRateLimits, { context })

  // Routes, each handed the context and the hub's one set of services.
  const routeOptions: RouteOptions = { context, services }
  await app.register(healthRoutes, routeOptions)
  await app.register(metricsRoutes, routeOptions)
  await app.register(usersRoutes, routeOptions)
  await app.register(voucherRoutes, routeOptions)
  await app.register(gatewayRoutes, routeOptions)
  await app.register(moneyRoutes, routeOptions)
  await app.register(passwordRoutes, routeOptions)
  await app.register(profileRoutes, routeOptions)
  await app.register(phoneRoutes, routeOptions)
  await app.register(emailRoutes, routeOptions)
  await app.register(dashboardRoutes, routeOptions)
  await app.register(kycRoutes, routeOptions)
  await app.register(orderRoutes, routeOptions)
  await app.register(transactionRoutes, routeOptions)
  await app.register(mobileAuthRoutes, routeOptions)
  await app.register(mobileDeviceRoutes, routeOptions)
  await app.register(anchorRoutes, routeOptions)
  await app.register(adminUserRoutes, routeOptions)
  await app.register(auditRoutes, routeOptions)
  await app.register(bulkRoutes, routeOptions)
  await app.register(flagRoutes, routeOptions)
  // The web dashboard, a client of the routes above like any other.
  await app.register(webApp)
  await app.register(eventRoutes, routeOptions)

  return app
}
