// What the money routes share on the wire: the JSON-schema pieces for amounts, currencies and ids,
// the caller behind a token, and the error codes these routes add to the one error shape.

import type { FastifyRequest, preValidationAsyncHookHandler } from 'fastify'
import type { AuthenticatedUser } from '../http/auth'
import { HttpError } from '../http/errors'
import type { Role } from '../http/roles'

/** The money routes take small JSON bodies; anything bigger is refused with 413 before it is parsed. */
export const MONEY_BODY_LIMIT_BYTES = 16 * 1024

/** For the OpenAPI document: the route wants `Authorization: Bearer <access token>`. */
export const BEARER_SECURITY = [{ bearerAuth: [] }]

/** A decimal string in major units ("12.50"); parseAmount checks it against the currency's exponent. */
export const AMOUNT_SCHEMA = {
  type: 'string',
  pattern: '^[0-9]{1,16}(\\.[0-9]{1,4})?$',
  description: 'decimal string in major units, e.g. "12.50"; at most as many decimals as the currency has',
} as const

/** Three capital letters; currencyByCode refuses a code outside ISO 4217 with UNKNOWN_CURRENCY (400). */
export const CURRENCY_SCHEMA = { type: 'string', pattern: '^[A-Z]{3}$', description: 'ISO 4217 code' } as const

/** The ledger's identifiers (hub/ledger/ids.ts): printable, at most 128 characters, no spaces. */
export const IDENTIFIER_SCHEMA = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$' } as const

/** A calendar day, UTC. */
export const DAY_SCHEMA = { type: 'string', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$', description: 'YYYY-MM-DD, UTC' } as const

/** The codes these routes add; switch on them like any other. */
export type MoneyRouteErrorCode =
  | 'WEAK_PASSWORD'
  | 'EMAIL_TAKEN'
  | 'ACCOUNT_EXISTS'
  | 'IDEMPOTENCY_CONFLICT'

export function moneyRouteError(status: number, code: MoneyRouteErrorCode, message: string): HttpError {
  return new HttpError(status, code, message)
}

export interface Caller {
  readonly userId: string
  /** The first of `roles` (operator, owner, customer): an operator whatever else they hold. */
  readonly role: Role
  /** Every role the caller holds now. */
  readonly roles: readonly Role[]
}

/** The user behind the request's access token; only after app.authenticate has admitted it. */
export function callerOf(request: FastifyRequest): Caller {
  const user = request.user as AuthenticatedUser | null
  if (user === null) throw new HttpError(401, 'UNAUTHORIZED', 'this route needs an access token')
  return { userId: user.sub, role: user.role, roles: user.roles }
}

/** Midnight UTC starting a 'YYYY-MM-DD' day, or 400 when no such day exists (2025-02-30). */
export function dayStart_ms(day: string, field: string): number {
  const [year, month, date] = day.split('-').map(Number) as [number, number, number]
  const start_ms = Date.UTC(year, month - 1, date)
  if (!Number.isSafeInteger(start_ms) || new Date(start_ms).toISOString().slice(0, 10) !== day) {
    throw new HttpError(400, 'BAD_REQUEST', `${field} is not a calendar day: ${JSON.stringify(day)}`)
  }
  return start_ms
}

/**
 * preValidation hook: refuses amounts sent as JSON numbers. The app's validator coerces types, so without this
 * 12.5 would pass as "12.5"; and a number may have lost its exact value before the hub ever saw it.
 */
export function amountsAsStrings(...fields: string[]): preValidationAsyncHookHandler {
  return async (request: FastifyRequest): Promise<void> => {
    const body = request.body as Record<string, unknown> | null | undefined
    if (typeof body !== 'object' || body === null) return
    for (const field of fields) {
      if (field in body && typeof body[field] !== 'string') {
        throw new HttpError(400, 'BAD_REQUEST', `body/${field} must be a decimal string such as "12.50", not a JSON ${typeof body[field]}`)
      }
    }
  }
}
