// GET /ledger/verify: the operator's check of the ledger's invariants over one consistent snapshot, with
// the per-currency sums behind it. Sums are BigInt inside, so they go out as decimal strings.

import type { FastifyPluginAsync } from 'fastify'
import type { HubContext } from '../context'
import { requireRole } from '../http/auth'
import { errorReplies } from '../http/errors'
import { checkAudit, type Violation } from '../ledger/verify'
import { BEARER_SECURITY } from './wire'

interface VerifyReply {
  ok: boolean
  checkedAtMs: number
  violations: Violation[]
  currencies: Array<{ currency: string; accountCount: number; balanceSumMinor: string; postingSumMinor: string }>
}

const SIGNED_INTEGER_TEXT = { type: 'string', pattern: '^-?[0-9]+$' } as const

const verifySchema = {
  summary: 'Check the ledger’s invariants',
  description: 'Each currency sums to zero, balances are their postings, transfers balance, holds match their vouchers.',
  tags: ['ledger'],
  security: BEARER_SECURITY,
  response: {
    200: {
      type: 'object',
      required: ['ok', 'checkedAtMs', 'violations', 'currencies'],
      additionalProperties: false,
      properties: {
        ok: { type: 'boolean' },
        checkedAtMs: { type: 'integer' },
        violations: {
          type: 'array',
          items: {
            type: 'object',
            required: ['code', 'message'],
            additionalProperties: false,
            properties: {
              code: { type: 'string' },
              message: { type: 'string' },
              currency: { type: 'string' },
              accountId: { type: 'string' },
              transferId: { type: 'string' },
              voucherId: { type: 'string' },
            },
          },
        },
        currencies: {
          type: 'array',
          items: {
            type: 'object',
            required: ['currency', 'accountCount', 'balanceSumMinor', 'postingSumMinor'],
            additionalProperties: false,
            properties: {
              currency: { type: 'string' },
              accountCount: { type: 'integer', minimum: 0 },
              balanceSumMinor: { ...SIGNED_INTEGER_TEXT, description: 'exact sum of balances; zero when sound' },
              postingSumMinor: { ...SIGNED_INTEGER_TEXT, description: 'exact sum of postings; zero when sound' },
            },
          },
        },
      },
    },
    ...errorReplies(401, 403),
  },
} as const

export const verifyRoutes: FastifyPluginAsync<{ context: HubContext }> = async (app, { context }) => {
  app.get<{ Reply: VerifyReply }>('/ledger/verify',
    { schema: verifySchema, preValidation: [app.authenticate, requireRole('operator')] }, async () => {
      const checkedAt_ms = context.clock.now_ms()
      // One audit serves both the verdict and the sums, so they describe the same snapshot.
      const audit = await context.ledger.audit()
      const { ok, violations } = checkAudit(audit)
      return {
        ok,
        checkedAtMs: checkedAt_ms,
        violations: [...violations],
        currencies: audit.currencies.map((row) => ({
          currency: row.currency,
          accountCount: row.accountCount,
          balanceSumMinor: row.balanceSumMinor.toString(),
          postingSumMinor: row.postingSumMinor.toString(),
        })),
      }
    })
}
