// REST of anchoring: the operator's list of batches, one batch's chain state, and a transfer's inclusion
// proof for those it concerns (its parties, the owner of the gateway that took it) and the operator.

import type { FastifyPluginAsync } from 'fastify'
import type { RouteOptions } from '../http/route-services'
import { requireRole } from '../http/auth'
import { HttpError, errorReplies } from '../http/errors'
import { pageReplySchema } from '../gateways/replies'
import type { PageReply } from '../gateways/wire'
import { BEARER_SECURITY, callerOf } from '../money/wire'
import { ProofService } from './proofs'
import { BATCH_REPLY_SCHEMA, PROOF_REPLY_SCHEMA, batchReply, proofReply, type ProofReply } from './replies'
import type { BatchReply } from './wire'
import { BATCH_PAGE_SIZE_MAX } from './store'

const PAGE_SIZE_DEFAULT = 20
const PAGE_MAX = 100_000
const BATCH_ID_MAX = Number.MAX_SAFE_INTEGER

interface PageQuery {
  page: number
  pageSize: number
}

interface BatchParams {
  batchId: number
}

interface TransferParams {
  id: string
}

const listSchema = {
  summary: 'Sealed batches and their anchors, newest first (operator)',
  tags: ['anchoring'],
  security: BEARER_SECURITY,
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      page: { type: 'integer', minimum: 1, maximum: PAGE_MAX, default: 1 },
      pageSize: { type: 'integer', minimum: 1, maximum: BATCH_PAGE_SIZE_MAX, default: PAGE_SIZE_DEFAULT },
    },
  },
  response: { 200: pageReplySchema(BATCH_REPLY_SCHEMA), ...errorReplies(400, 401, 403) },
} as const

const batchSchema = {
  summary: 'One sealed batch: its root, count, hub signature and where it is anchored',
  description: 'Any signed-in user: a root says nothing about the transfers under it, and it is public on chain anyway.',
  tags: ['anchoring'],
  security: BEARER_SECURITY,
  params: {
    type: 'object',
    required: ['batchId'],
    additionalProperties: false,
    properties: { batchId: { type: 'integer', minimum: 1, maximum: BATCH_ID_MAX } },
  },
  response: { 200: BATCH_REPLY_SCHEMA, ...errorReplies(400, 401, 404) },
} as const

const proofSchema = {
  summary: 'A transfer’s Merkle inclusion proof and its batch’s anchor',
  description: 'For the transfer’s parties, the owner of the gateway that took it, and operators; anyone else gets 404, '
    + 'as for a transfer that does not exist. 409 while the transfer is settled but not sealed into a batch yet. '
    + 'Check the reply with `payall-hub verify-proof`, @openzeppelin/merkle-tree or the contract’s verify().',
  tags: ['anchoring'],
  security: BEARER_SECURITY,
  params: {
    type: 'object',
    required: ['id'],
    additionalProperties: false,
    properties: { id: { type: 'string', pattern: '^(0x)?[0-9a-fA-F]{64}$', description: 'the transfer id' } },
  },
  response: { 200: PROOF_REPLY_SCHEMA, ...errorReplies(400, 401, 404, 409) },
} as const

export const anchorRoutes: FastifyPluginAsync<RouteOptions> = async (app, { context, services }) => {
  const store = services.anchors
  const proofs = new ProofService(store)
  const replyContext = { hubPublicKey: context.hubKeys.publicKey, explorerUrl: context.config.explorerUrl }

  app.get<{ Querystring: PageQuery; Reply: PageReply<BatchReply> }>('/anchors',
    { schema: listSchema, preValidation: [app.authenticate, requireRole('operator')] }, async (request) => {
      const { page, pageSize } = request.query
      const { batches, total } = await store.batchPage(pageSize, (page - 1) * pageSize)
      return { items: batches.map(batch => batchReply(batch, replyContext)), page, pageSize, total }
    })

  app.get<{ Params: BatchParams; Reply: BatchReply }>('/anchors/:batchId',
    { schema: batchSchema, preValidation: [app.authenticate] }, async (request) => {
      const batch = await store.batch(request.params.batchId)
      if (batch === undefined) throw new HttpError(404, 'NOT_FOUND', `no batch ${request.params.batchId}`)
      return batchReply(batch, replyContext)
    })

  app.get<{ Params: TransferParams; Reply: ProofReply }>('/transactions/:id/proof',
    { schema: proofSchema, preValidation: [app.authenticate] }, async (request) => {
      const transferId = request.params.id.replace(/^0x/, '').toLowerCase()
      const caller = callerOf(request)
      // Not yours and not there answer alike, so the route tells no one which transfers exist.
      const notFound = new HttpError(404, 'NOT_FOUND', `no transfer ${transferId} of yours`)
      if (caller.role !== 'operator' && !await store.isParty(transferId, caller.userId)) throw notFound
      const lookup = await proofs.lookup(transferId)
      if (lookup.kind === 'unknown') throw notFound
      if (lookup.kind === 'queued') {
        throw new HttpError(409, 'CONFLICT', `transfer ${transferId} is settled but not sealed into a batch yet; ask again later`)
      }
      return proofReply(lookup.proof, replyContext)
    })
}
