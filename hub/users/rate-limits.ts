// Per-IP rate limits on the routes that take credentials or send secrets (@fastify/rate-limit), in one
// table, and the hub's one LoginThrottle (app.loginThrottle), which slows failing clients and identifiers.
// Both run on the hub's injected clock, so a test can step through them deterministically.

import fastifyRateLimit, { type FastifyRateLimitStore, type FastifyRateLimitStoreCtor } from '@fastify/rate-limit'
import type { HubContext } from '../context'
import { MINUTE_MS, type Clock } from '../../protocol/clock'
import { HttpError } from '../http/errors'
import { sharedPlugin } from '../http/shared-plugin'
import { LoginThrottle } from './login-throttle'

declare module 'fastify' {
  interface FastifyInstance {
    /** Shared by every route that checks a password or a reset token. */
    loginThrottle: LoginThrottle
  }
}

export interface RateLimit {
  /** Requests one client IP may make in a window; the next is answered 429. */
  readonly max: number
  readonly windowMs: number
}


/** Keyed by "METHOD path"; each route counts on its own. */
export const AUTH_RATE_LIMITS: Readonly<Record<string, RateLimit>> = {
  'POST /users/login': { max: 60, windowMs: MINUTE_MS },
  'POST /api/auth/login': { max: 60, windowMs: MINUTE_MS },
  'POST /users/refresh': { max: 60, windowMs: MINUTE_MS },
  'POST /users/sign-up': { max: 60, windowMs: 10 * MINUTE_MS },
  'POST /api/auth/register': { max: 60, windowMs: 10 * MINUTE_MS },
  'POST /users/reset-password-init': { max: 10, windowMs: 15 * MINUTE_MS },
  'POST /users/reset-password-finish': { max: 10, windowMs: 15 * MINUTE_MS },
  'PATCH /users/update-password': { max: 10, windowMs: 15 * MINUTE_MS },
  'POST /api/auth/device/pay/confirm': { max: 30, windowMs: 5 * MINUTE_MS },
  // Phone codes: each address's tries are bounded here, each number's and account's sends in phone-verification.ts.
  'POST /api/auth/register/confirm': { max: 30, windowMs: 15 * MINUTE_MS },
  'POST /api/auth/register/resend': { max: 10, windowMs: 15 * MINUTE_MS },
  'POST /users/verify-phone-init': { max: 10, windowMs: 15 * MINUTE_MS },
  'POST /users/verify-phone-finish': { max: 30, windowMs: 15 * MINUTE_MS },
  // Email codes: likewise, each account's sends are bounded in email-verification.ts.
  'POST /users/verify-email-init': { max: 10, windowMs: 15 * MINUTE_MS },
  'POST /users/verify-email-finish': { max: 30, windowMs: 15 * MINUTE_MS },
}

/** Client IPs remembered per route; past this the least recently seen is forgotten. */
const RATE_LIMIT_KEYS_MAX = 10_000

/** A @fastify/rate-limit store counting fixed windows on `clock`, bounded to `keysMax` keys. */
export function clockRateLimitStore(clock: Clock, keys_max = RATE_LIMIT_KEYS_MAX): FastifyRateLimitStoreCtor {
  class ClockRateLimitStore implements FastifyRateLimitStore {
    private readonly windows = new Map<string, { count: number; startMs: number }>()

    incr(key: string, callback: (error: Error | null, result?: { current: number; ttl: number }) => void, window_ms: number): void {
      const now_ms = clock.now_ms()
      let window = this.windows.get(key)
      if (window === undefined || window.startMs + window_ms <= now_ms) window = { count: 0, startMs: now_ms }
      window.count++
      // Re-inserted so the Map's order is least recently seen first.
      this.windows.delete(key)
      this.windows.set(key, window)
      if (this.windows.size > keys_max) this.windows.delete(this.windows.keys().next().value!)
      callback(null, { current: window.count, ttl: window.startMs + window_ms - now_ms })
    }

    child(): FastifyRateLimitStore {
      return new ClockRateLimitStore()
    }
  }
  return ClockRateLimitStore as unknown as FastifyRateLimitStoreCtor
}

export const authRateLimits = sharedPlugin<{ context: HubContext }>('payall-auth-rate-limits', async (app, { context }) => {
  app.decorate('loginThrottle', new LoginThrottle(context.clock))
  // Runs before @fastify/rate-limit's own onRoute hook, which reads the config this one sets.
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    const limit = methods.map((method) => AUTH_RATE_LIMITS[`${method} ${route.url}`]).find((found) => found !== undefined)
    if (limit !== undefined) route.config = { ...route.config, rateLimit: { max: limit.max, timeWindow: limit.windowMs } }
  })
  await app.register(fastifyRateLimit, {
    global: false,
    store: clockRateLimitStore(context.clock),
    // Thrown, so the hub's error handler gives it the one error shape.
    errorResponseBuilder: (_request, limit) =>
      new HttpError(429, 'TOO_MANY_REQUESTS', `too many requests from your address; try again in ${limit.after}`),
  })
})
