// Fee schedules over REST: GET /fees lists them (operators and owners), POST /fees adds the next version for a
// gateway type and currency (operators). A version is never edited: transfers keep the schedule they settled under.

import type { FastifyPluginAsync } from 'fastify'
import { currencyByCode, formatAmount, formatMoney, parseAmount } from '../../protocol/money'
import type { RouteOptions } from '../http/route-services'
import { requireRole } from '../http/auth'
import { errorReplies, HttpError } from '../http/errors'
import { BASIS_POINTS_WHOLE, type FeeSchedule } from '../ledger/fees'
import { FEE_SCHEDULES_LIST_MAX } from '../ledger/store'
import { AMOUNT_SCHEMA, BEARER_SECURITY, CURRENCY_SCHEMA, MONEY_BODY_LIMIT_BYTES, amountsAsStrings, callerOf } from './wire'

// As the gateways table spells a type (at most 40 characters); no '.', which separates the parts of a schedule id.
const GATEWAY_TYPE_SCHEMA = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$' } as const
const BASIS_POINTS_SCHEMA = { type: 'integer', minimum: 0, maximum: BASIS_POINTS_WHOLE } as const

interface FeeScheduleReply {
  id: string
  gatewayType: string
  currency: string
  version: number
  basisPoints: number
  fixedMinor: number
  fixed: string
  ownerShareBasisPoints: number
  effectiveFrom: string
}

const FEE_SCHEDULE_REPLY_SCHEMA = {
  type: 'object',
  required: ['id', 'gatewayType', 'currency', 'version', 'basisPoints', 'fixedMinor', 'fixed', 'ownerShareBasisPoints', 'effectiveFrom'],
  additionalProperties: false,
  properties: {
    id: { type: 'string', description: '{gatewayType}.{currency}.v{version}' },
    gatewayType: { type: 'string' },
    currency: { type: 'string' },
    version: { type: 'integer', minimum: 1 },
    basisPoints: { type: 'integer', description: 'proportional fee, hundredths of a percent' },
    fixedMinor: { type: 'integer', minimum: 0 },
    fixed: { type: 'string' },
    ownerShareBasisPoints: { type: 'integer', description: 'the gateway owner’s part of the fee; the platform keeps the rest' },
    effectiveFrom: { type: 'string', format: 'date-time' },
  },
} as const

interface ListFeesQuery {
  gatewayType?: string
  currency?: string
}

const listFeesSchema = {
  summary: 'Fee schedules, every version, oldest first per gateway type and currency',
  tags: ['fees'],
  security: BEARER_SECURITY,
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: { gatewayType: GATEWAY_TYPE_SCHEMA, currency: CURRENCY_SCHEMA },
  },
  response: {
    200: {
      type: 'object',
      required: ['schedules'],
      additionalProperties: false,
      properties: { schedules: { type: 'array', maxItems: FEE_SCHEDULES_LIST_MAX, items: FEE_SCHEDULE_REPLY_SCHEMA } },
    },
    ...errorReplies(400, 401, 403),
  },
} as const

interface AddFeeBody {
  gatewayType: string
  currency: string
  basisPoints: number
  fixedAmount?: string
  fixedMinor?: number
  ownerShareBasisPoints: number
  effectiveFrom?: string
}

const addFeeSchema = {
  summary: 'Add the next fee schedule version for a gateway type and currency',
  tags: ['fees'],
  security: BEARER_SECURITY,
  body: {
    type: 'object',
    required: ['gatewayType', 'currency', 'basisPoints', 'ownerShareBasisPoints'],
    additionalProperties: false,
    properties: {
      gatewayType: GATEWAY_TYPE_SCHEMA,
      currency: CURRENCY_SCHEMA,
      basisPoints: BASIS_POINTS_SCHEMA,
      fixedAmount: { ...AMOUNT_SCHEMA, description: 'flat part of the fee in major units; or fixedMinor; neither is zero' },
      fixedMinor: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
      ownerShareBasisPoints: BASIS_POINTS_SCHEMA,
      effectiveFrom: {
        type: 'string', maxLength: 40, anyOf: [{ format: 'date' }, { format: 'date-time' }],
        description: 'ISO 8601 day (UTC midnight) or date-time; default now',
      },
    },
  },
  response: { 201: FEE_SCHEDULE_REPLY_SCHEMA, ...errorReplies(400, 401, 403, 409, 413) },
} as const

export const feesRoutes: FastifyPluginAsync<RouteOptions> = async (app, { context, services }) => {
  const { ledger } = context

  app.get<{ Querystring: ListFeesQuery; Reply: { schedules: FeeScheduleReply[] } }>('/fees',
    { schema: listFeesSchema, preValidation: [app.authenticate, requireRole('operator', 'owner')] }, async (request) => {
      const schedules = await ledger.feeSchedules({
        ...(request.query.gatewayType === undefined ? {} : { gatewayType: request.query.gatewayType }),
        ...(request.query.currency === undefined ? {} : { currency: request.query.currency }),
      })
      return { schedules: schedules.map(feeScheduleReply) }
    })

  app.post<{ Body: AddFeeBody; Reply: FeeScheduleReply }>('/fees', {
    schema: addFeeSchema, bodyLimit: MONEY_BODY_LIMIT_BYTES,
    preValidation: [app.authenticate, requireRole('operator'), amountsAsStrings('fixedAmount')],
  }, async (request, reply) => {
    const { body } = request
    const currency = currencyByCode(body.currency).code
    if (body.fixedAmount !== undefined && body.fixedMinor !== undefined) {
      throw new HttpError(400, 'BAD_REQUEST', 'give the fixed fee as fixedAmount or as fixedMinor, not both')
    }
    const fixed_minor = body.fixedAmount !== undefined ? parseAmount(body.fixedAmount, currency) : body.fixedMinor ?? 0
    const effectiveFrom_ms = body.effectiveFrom === undefined ? context.clock.now_ms() : Date.parse(body.effectiveFrom)
    if (!Number.isSafeInteger(effectiveFrom_ms)) {
      throw new HttpError(400, 'BAD_REQUEST', `effectiveFrom is not a time: ${JSON.stringify(body.effectiveFrom)}`)
    }

    const versions = await ledger.feeSchedules({ gatewayType: body.gatewayType, currency })
    // Two operators adding a version at once compute the same one: the ledger refuses the second (409).
    const version = versions.reduce((highest, schedule) => Math.max(highest, schedule.version), 0) + 1
    const schedule: FeeSchedule = {
      id: `${body.gatewayType}.${currency}.v${version}`,
      gatewayType: body.gatewayType,
      currency,
      version,
      basisPoints: body.basisPoints,
      fixedMinor: fixed_minor,
      ownerShareBasisPoints: body.ownerShareBasisPoints,
      effectiveFromMs: effectiveFrom_ms,
    }
    await ledger.addFeeSchedule(schedule, sql => services.audit.recordIn(sql, {
      atMs: context.clock.now_ms(), actorId: callerOf(request).userId, action: 'fee_schedule.add', targetId: schedule.id,
      targetName: `${schedule.gatewayType} fees in ${currency}, version ${version}`,
      detail: `${schedule.basisPoints} bp + ${formatMoney(fixed_minor, currency)}, owner share ${schedule.ownerShareBasisPoints} bp, `
        + `from ${new Date(effectiveFrom_ms).toISOString()}`,
    }))
    request.log.info({ feeScheduleId: schedule.id }, 'fee schedule added')
    return reply.code(201).send(feeScheduleReply(schedule))
  })
}

function feeScheduleReply(schedule: FeeSchedule): FeeScheduleReply {
  return {
    id: schedule.id,
    gatewayType: schedule.gatewayType,
    currency: schedule.currency,
    version: schedule.version,
    basisPoints: schedule.basisPoints,
    fixedMinor: schedule.fixedMinor,
    fixed: formatAmount(schedule.fixedMinor, schedule.currency),
    ownerShareBasisPoints: schedule.ownerShareBasisPoints,
    effectiveFrom: new Date(schedule.effectiveFromMs).toISOString(),
  }
}
