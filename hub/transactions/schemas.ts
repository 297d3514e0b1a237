// The JSON schemas of a history query (a page of a time window) and of a page of replies, shared by the
// transaction routes, the mobile API and the dashboard, with the window a query asks for.

import { HttpError } from '../http/errors'
import { HISTORY_PAGE_SIZE_MAX, type TransactionStatus } from './history'

const PAGE_MAX = 100_000
const PAGE_SIZE_DEFAULT = 20
/** Far enough in the future to mean "no upper bound" and still be a valid Date. */
const END_OF_TIME_MS = Date.UTC(9999, 0, 1)

const INSTANT_SCHEMA = {
  type: 'string', maxLength: 40, anyOf: [{ format: 'date' }, { format: 'date-time' }],
  description: 'ISO 8601 date-time, or a day (its UTC midnight)',
} as const

export const HISTORY_QUERY_PROPERTIES = {
  page: { type: 'integer', minimum: 1, maximum: PAGE_MAX, default: 1 },
  pageSize: { type: 'integer', minimum: 1, maximum: HISTORY_PAGE_SIZE_MAX, default: PAGE_SIZE_DEFAULT },
  from: { ...INSTANT_SCHEMA, description: 'inclusive; ' + INSTANT_SCHEMA.description },
  to: { ...INSTANT_SCHEMA, description: 'exclusive; ' + INSTANT_SCHEMA.description },
} as const

export interface HistoryQuery {
  page: number
  pageSize: number
  from?: string
  to?: string
  status?: TransactionStatus
}

export function pageSchema(item: object) {
  return {
    type: 'object',
    required: ['items', 'page', 'pageSize', 'total'],
    additionalProperties: false,
    properties: { items: { type: 'array', items: item }, page: { type: 'integer' }, pageSize: { type: 'integer' }, total: { type: 'integer' } },
  } as const
}

/** The [from, to) window of a history query, in ms; 400 when from is not before to. */
export function historyWindow_ms(query: { from?: string; to?: string }): { fromMs: number; toMs: number } {
  const from_ms = query.from === undefined ? 0 : Date.parse(query.from)
  const to_ms = query.to === undefined ? END_OF_TIME_MS : Date.parse(query.to)
  if (!Number.isSafeInteger(from_ms) || !Number.isSafeInteger(to_ms)) throw new HttpError(400, 'BAD_REQUEST', 'from and to must be times')
  if (from_ms >= to_ms) throw new HttpError(400, 'BAD_REQUEST', 'from must be before to')
  return { fromMs: from_ms, toMs: to_ms }
}
