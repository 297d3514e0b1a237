// The one error shape on the wire, `{ "error": { "code", "message" } }`, and the Fastify error, not-found
// and client-error handlers that map every failure onto it without leaking internals.

import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { CodedError, isProtocolError, sqliteCodeOf, type ProtocolErrorCode } from '../../protocol/errors'
import { isLedgerError, type LedgerErrorCode } from '../ledger/errors'
import { PRINTABLE_LINE_FORMAT, PRINTABLE_LINE_RULE } from './text'

export type HttpErrorCode =
  | 'BAD_REQUEST'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'CONFLICT'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'TOO_MANY_REQUESTS'
  | 'REQUEST_TIMEOUT'
  | 'HEADERS_TOO_LARGE'
  | 'INTERNAL'
  | 'DEVICE_NOT_BOUND'
  | 'DEVICE_HAS_NO_KEY'
  | 'TOKEN_EXPIRED'
  | 'UNKNOWN_GATEWAY'
  | 'LOGIN_TOKEN_GIVEN'
  | 'TOKEN_NOT_ISSUED'
  | 'TOKEN_USED'
  | 'WRONG_TOKEN'
  | 'ACCOUNT_SUSPENDED'
  | 'ACCOUNT_UNVERIFIED'
  | 'CSRF_HEADER_MISSING'
  | 'SELF_SUSPEND'
  | 'LAST_OPERATOR'
  | 'NO_EMAIL'
  | 'EMAIL_ALREADY_VERIFIED'
  | 'NO_PENDING_CODE'
  | 'LOCKED'
  | 'WEAK_PASSWORD'
  | 'EMAIL_TAKEN'
  | 'PHONE_TAKEN'
  | 'ACCOUNT_EXISTS'
  | 'IDEMPOTENCY_CONFLICT'
  | 'DEVICE_ALREADY_BOUND'
  | 'DEVICE_LIMIT'
  | 'NO_WALLET'
  | 'INVALID_RESET_TOKEN'
  | 'WRONG_PASSWORD'
  | 'DOCUMENT_REVIEWED'
  | 'TOO_MANY_DOCUMENTS'
  | 'ORDER_NOT_PENDING'
  | 'GATEWAY_UNAVAILABLE'
  | 'BROKER_UNAVAILABLE'
  | 'UNKNOWN_PAYEE'
  | 'WRONG_CODE'
  | 'PAYMENT_EXPIRED'
  | 'PAYMENT_CANCELLED'
  | 'PAYMENT_CLOSED'
  | 'ACCOUNT_LINKED'
  | 'BAD_PHONE'
  | 'BAD_TEXT'
  | 'NO_PENDING_PHONE'
  | 'CODE_EXPIRED'
  | 'CODE_ATTEMPTS_EXHAUSTED'
  | 'ALLOWANCE_TOO_SMALL'
  | 'TOO_MANY_OPEN_VOUCHERS'
  | 'VOUCHER_RATE_LIMITED'
  | 'REVOCATION_RATE_LIMITED'
  | 'ISSUANCE_SUSPENDED'
  | 'VOUCHER_NOT_OPEN'
  | 'FLAG_RESOLVED'
  | 'RANGE_TOO_LONG'
  | 'EXPORT_TOO_LARGE'
  /** Another process holds the database's write lock past the busy timeout: nothing was written, try again. */
  | 'DATABASE_BUSY'
  | ProtocolErrorCode
  | LedgerErrorCode

/** Thrown by a route or hook to answer with `status` and this code and message, as they are. */
export class HttpError extends CodedError<HttpErrorCode> {
  override readonly name = 'HttpError'
  readonly status: number
  /** Sent as Retry-After: when a refusal for now (429, 423, 503) is worth trying again. */
  readonly retryAfter_seconds: number | undefined

  constructor(status: number, code: HttpErrorCode, message: string, options: { retryAfterSeconds?: number } = {}) {
    super(code, message)
    this.status = status
    this.retryAfter_seconds = options.retryAfterSeconds
  }
}

export interface ErrorReply {
  error: { code: HttpErrorCode; message: string }
}

const ERROR_REPLY_SCHEMA_ID = 'ErrorReply'
/** A busy database is most often a backup or a shell holding it a moment. */
const DATABASE_BUSY_RETRY_AFTER_SECONDS = 1

/** Registered once with app.addSchema; routes refer to it through `errorReplies`. */
export const ERROR_REPLY_SCHEMA = {
  $id: ERROR_REPLY_SCHEMA_ID,
  type: 'object',
  required: ['error'],
  additionalProperties: false,
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      additionalProperties: false,
      properties: {
        code: { type: 'string', description: 'stable, upper snake case: switch on this' },
        message: { type: 'string', description: 'for people; may change between versions' },
      },
    },
  },
} as const

/** The reply schemas of the error statuses a route can answer, for its `schema.response`. */
export function errorReplies(...statuses: number[]): Record<number, { $ref: string }> {
  const replies: Record<number, { $ref: string }> = {}
  for (const status of statuses) replies[status] = { $ref: `${ERROR_REPLY_SCHEMA_ID}#` }
  return replies
}

// A ledger refusal is the caller's to fix; which status says what kind of refusal it is.
const LEDGER_STATUS: Record<LedgerErrorCode, number> = {
  INSUFFICIENT_FUNDS: 409,
  TRANSFER_CONFLICT: 409,
  ACCOUNT_CONFLICT: 409,
  FEE_SCHEDULE_CONFLICT: 409,
  HOLD_NOT_DUE: 409,
  BALANCE_OVERFLOW: 409,
  UNKNOWN_ACCOUNT: 404,
  UNKNOWN_FEE_SCHEDULE: 404,
  HOLD_NOT_FOUND: 404,
  WRONG_ACCOUNT_KIND: 400,
  CURRENCY_MISMATCH: 400,
  INVALID_TRANSFER: 400,
  INVALID_ACCOUNT: 400,
  INVALID_FEE_SCHEDULE: 400,
  INVALID_HOLD: 400,
  INVALID_QUERY: 400,
  UNBALANCED_TRANSFER: 400,
  BATCH_TOO_LARGE: 400,
}

// Fastify's own client errors (bad JSON, too large, wrong media type...) carry a status and a
// message written for the client; the status picks our code.
const CODE_BY_CLIENT_STATUS: Record<number, HttpErrorCode> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'TOO_MANY_REQUESTS',
}

const INTERNAL_MESSAGE = 'internal error; the hub logged the details'
const PATH_IN_MESSAGE_LENGTH_MAX = 200

/** Status and wire body for any thrown value. Pure, so every mapping is testable on its own. */
export function errorToReply(error: unknown): { status: number; body: ErrorReply } {
  const reply = (status: number, code: HttpErrorCode, message: string) => ({ status, body: { error: { code, message } } })
  if (error instanceof HttpError) return reply(error.status, error.code, error.message)
  if (isProtocolError(error)) return reply(400, error.code, error.message)
  if (isLedgerError(error)) return reply(LEDGER_STATUS[error.code], error.code, error.message)
  if (isDatabaseBusy(error)) {
    return reply(503, 'DATABASE_BUSY', 'the database is busy (another process holds its lock); nothing was changed, try again shortly')
  }
  if (isFastifyError(error)) {
    if (error.validation !== undefined) {
      const text = error.validation.find((failure) => failure.keyword === 'format' && failure.params['format'] === PRINTABLE_LINE_FORMAT)
      if (text !== undefined) return reply(400, 'BAD_TEXT', `${error.validationContext ?? 'body'}${text.instancePath} must be ${PRINTABLE_LINE_RULE}`)
      return reply(400, 'BAD_REQUEST', error.message)
    }
    // @fastify/jwt answers a malformed Authorization header with 400; to a client it is one more bad token.
    if (error.code.startsWith('FST_JWT_') || error.code.startsWith('FAST_JWT_')) {
      return reply(401, 'UNAUTHORIZED', error.message)
    }
    const status = error.statusCode ?? 500
    const code = CODE_BY_CLIENT_STATUS[status]
    if (code !== undefined) return reply(status, code, error.message)
  }
  return reply(500, 'INTERNAL', INTERNAL_MESSAGE)
}

export function handleError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { status, body } = errorToReply(error)
  if (status >= 500) request.log.error({ err: error }, 'request failed')
  else request.log.info({ code: body.error.code, message: body.error.message }, 'request refused')
  if (error instanceof HttpError && error.retryAfter_seconds !== undefined) reply.header('retry-after', String(error.retryAfter_seconds))
  if (body.error.code === 'DATABASE_BUSY') reply.header('retry-after', String(DATABASE_BUSY_RETRY_AFTER_SECONDS))
  return reply.code(status).type('application/json; charset=utf-8').send(body)
}

export function handleNotFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const path = request.url.split('?')[0]!.slice(0, PATH_IN_MESSAGE_LENGTH_MAX)
  const body: ErrorReply = { error: { code: 'NOT_FOUND', message: `no route ${request.method} ${path}` } }
  return reply.code(404).type('application/json; charset=utf-8').send(body)
}

/**
 * Status and body for an error Node meets before a request reaches Fastify's routing (a request or header
 * timeout, oversized headers, unparseable HTTP), by Node's error code.
 */
export function clientErrorToReply(nodeCode: string | undefined): { status: number; body: ErrorReply } {
  const reply = (status: number, code: HttpErrorCode, message: string) => ({ status, body: { error: { code, message } } })
  if (nodeCode === 'ERR_HTTP_REQUEST_TIMEOUT') return reply(408, 'REQUEST_TIMEOUT', 'the request did not arrive in time; the connection is closed')
  if (nodeCode === 'HPE_HEADER_OVERFLOW') return reply(431, 'HEADERS_TOO_LARGE', 'the request headers are too large')
  return reply(400, 'BAD_REQUEST', 'not a well-formed HTTP request')
}

/** Fastify's clientErrorHandler: the one error shape, then the connection closes (nothing after it can be trusted). */
export function handleClientError(error: Error & { code?: string }, socket: Socket): void {
  // A reset connection has nobody to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  const { status, body } = clientErrorToReply(error.code)
  const json = JSON.stringify(body)
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\n` +
      `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`)
  }
  socket.destroy(error)
}

/** A lock SQLite waited for in vain (SQLITE_BUSY and its extended codes, SQLITE_LOCKED): the statement, and its transaction, changed nothing. */
function isDatabaseBusy(error: unknown): boolean {
  const code = sqliteCodeOf(error)
  return code !== undefined && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))
}

function isFastifyError(error: unknown): error is FastifyError {
  return error instanceof Error && typeof (error as Partial<FastifyError>).code === 'string'
}
