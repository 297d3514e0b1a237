// KYC documents over REST: PATCH /users/update-document (multipart `file` and `kind`), the owner's and
// the operator's listings, the decrypted file for them only, and the operator's approve or reject.

import fastifyMultipart, { type MultipartFile, type MultipartValue } from '@fastify/multipart'
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify'
import { toHex } from '../../protocol/bytes'
import { userNameOf } from '../audit/store'
import type { HubContext } from '../context'
import type { HubServices, RouteOptions } from '../http/route-services'
import { requireRole } from '../http/auth'
import { errorReplies, HttpError } from '../http/errors'
import { printableLine } from '../http/text'
import { BEARER_SECURITY, callerOf, IDENTIFIER_SCHEMA } from '../money/wire'
import { documentReviewedMessage } from '../notify/message'
import { absentBodyAsEmpty } from '../users/optional-body'
import { ROLES } from '../http/roles'
import { loadOrCreateKycMasterKey } from './master-key'
import { keysDirOf } from '../config'
import { openDocument, sealDocument } from './seal'
import { DOCUMENT_MEDIA_TYPES, sniffDocumentType } from './sniff'
import { DOCUMENT_STATUSES, type KycDocument, type KycStore } from './store'

export const DOCUMENT_SIZE_MAX_BYTES = 5 * 1024 * 1024
/** Documents one user may have, reviewed or not. */
export const DOCUMENTS_PER_USER_MAX = 20
const DOCUMENT_KINDS = ['national_id', 'passport', 'driving_licence', 'proof_of_address', 'business_registration'] as const
const DOCUMENT_ID_BYTES = 12
const REASON_LENGTH_MAX = 500
const REVIEW_BODY_LIMIT_BYTES = 4 * 1024

interface DocumentReply {
  id: string
  userId: string
  kind: string
  mediaType: string
  sizeBytes: number
  sha256: string
  status: KycDocument['status']
  reviewReason: string | null
  uploadedAt: string
  reviewedAt: string | null
}

const DOCUMENT_REPLY_SCHEMA = {
  type: 'object',
  required: ['id', 'userId', 'kind', 'mediaType', 'sizeBytes', 'sha256', 'status', 'reviewReason', 'uploadedAt', 'reviewedAt'],
  additionalProperties: false,
  properties: {
    id: { type: 'string' },
    userId: { type: 'string' },
    kind: { type: 'string', enum: [...DOCUMENT_KINDS] },
    mediaType: { type: 'string', enum: [...DOCUMENT_MEDIA_TYPES], description: 'from the file’s first bytes, not from the client' },
    sizeBytes: { type: 'integer', minimum: 1 },
    sha256: { type: 'string', description: 'of the file as uploaded, hex' },
    status: { type: 'string', enum: [...DOCUMENT_STATUSES] },
    reviewReason: { type: ['string', 'null'] },
    uploadedAt: { type: 'string', format: 'date-time' },
    reviewedAt: { type: ['string', 'null'], format: 'date-time' },
  },
} as const

const DOCUMENT_LIST_SCHEMA = {
  type: 'object',
  required: ['documents'],
  additionalProperties: false,
  properties: { documents: { type: 'array', maxItems: DOCUMENTS_PER_USER_MAX, items: DOCUMENT_REPLY_SCHEMA } },
} as const

const USER_PARAMS = {
  type: 'object', required: ['id'], additionalProperties: false, properties: { id: IDENTIFIER_SCHEMA },
} as const
const DOCUMENT_PARAMS = {
  type: 'object', required: ['id', 'docId'], additionalProperties: false, properties: { id: IDENTIFIER_SCHEMA, docId: IDENTIFIER_SCHEMA },
} as const

const uploadSchema = {
  summary: 'Upload a KYC document (multipart: `file`, and `kind`); it waits for an operator’s review',
  description: `PDF, PNG or JPEG, recognised by its first bytes; at most ${DOCUMENT_SIZE_MAX_BYTES} bytes. Stored encrypted.`,
  tags: ['kyc'],
  security: BEARER_SECURITY,
  consumes: ['multipart/form-data'],
  body: {
    type: 'object',
    required: ['file', 'kind'],
    additionalProperties: false,
    properties: {
      file: {
        type: 'object', required: ['type'], properties: { type: { const: 'file' } },
        description: 'the document, as a file part',
      },
      kind: {
        type: 'object', required: ['value'], properties: { value: { type: 'string', enum: [...DOCUMENT_KINDS] } },
        description: 'a text part: ' + DOCUMENT_KINDS.join(', '),
      },
    },
  },
  response: { 201: DOCUMENT_REPLY_SCHEMA, ...errorReplies(400, 401, 409, 413, 415) },
} as const

const ownListSchema = {
  summary: 'The caller’s KYC documents, newest first',
  tags: ['kyc'],
  security: BEARER_SECURITY,
  response: { 200: DOCUMENT_LIST_SCHEMA, ...errorReplies(401) },
} as const

const userListSchema = {
  summary: 'A user’s KYC documents (operator, or the user)',
  tags: ['kyc'],
  security: BEARER_SECURITY,
  params: USER_PARAMS,
  response: { 200: DOCUMENT_LIST_SCHEMA, ...errorReplies(400, 401, 403, 404) },
} as const

const fileSchema = {
  summary: 'The decrypted file of a KYC document (operator, or the user)',
  tags: ['kyc'],
  security: BEARER_SECURITY,
  params: DOCUMENT_PARAMS,
  response: { 200: { type: 'string', format: 'binary' }, ...errorReplies(400, 401, 403, 404) },
} as const

function reviewSchema(decision: 'approve' | 'reject') {
  return {
    summary: decision === 'approve' ? 'Approve a pending KYC document (operator)' : 'Reject a pending KYC document (operator)',
    tags: ['kyc'],
    security: BEARER_SECURITY,
    params: DOCUMENT_PARAMS,
    body: {
      type: 'object',
      additionalProperties: false,
      properties: { reason: printableLine(REASON_LENGTH_MAX) },
    },
    response: { 200: DOCUMENT_REPLY_SCHEMA, ...errorReplies(400, 401, 403, 404, 409, 413) },
  } as const
}

export const kycRoutes: FastifyPluginAsync<RouteOptions> = async (app, { context, services }) => {
  // Loaded on first use: a hub that never receives a document has no key file.
  let masterKeyLoaded: Uint8Array | undefined
  const masterKey = (): Uint8Array => (masterKeyLoaded ??= loadOrCreateKycMasterKey(keysDirOf(context.config), context.random))

  // Only in this plugin's scope. Parts are read in preValidation, after the onRequest checks below,
  // so nobody streams 5 MB at the hub without a valid token.
  await app.register(fastifyMultipart, {
    attachFieldsToBody: true,
    limits: { fileSize: DOCUMENT_SIZE_MAX_BYTES, files: 1, fields: 2, parts: 3, fieldSize: 64, headerPairs: 20 },
  })

  uploadRoute(app, context, services.documents, masterKey)
  readingRoutes(app, services, masterKey)
  reviewRoutes(app, context, services)
}

/** The document, when the caller may see it: an operator any, a user their own. */
async function visibleDocument(documents: KycStore, request: FastifyRequest, userId: string, documentId: string): Promise<KycDocument> {
  const caller = callerOf(request)
  if (caller.role !== 'operator' && caller.userId !== userId) {
    throw new HttpError(403, 'FORBIDDEN', 'these are another user’s documents')
  }
  const document = await documents.byId(documentId)
  if (document === undefined || document.userId !== userId) {
    throw new HttpError(404, 'NOT_FOUND', `user ${userId} has no document ${documentId}`)
  }
  return document
}

/** A user uploads a document, sealed under the master key before it is stored. */
function uploadRoute(app: FastifyInstance, context: HubContext, documents: KycStore, masterKey: () => Uint8Array): void {
  const signedIn = [app.authenticate, requireRole(...ROLES)]
  app.patch<{ Body: { file: MultipartFile; kind: MultipartValue<string> } }>('/users/update-document', {
    schema: uploadSchema,
    onRequest: [...signedIn, multipartOnly],
  }, async (request, reply) => {
    const { userId } = callerOf(request)
    const content = new Uint8Array(await request.body.file.toBuffer())
    const mediaType = sniffDocumentType(content)
    if (mediaType === undefined) {
      throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'a document is a PDF, PNG or JPEG file; this one starts like none of them')
    }
    const id = `doc_${toHex(context.random(DOCUMENT_ID_BYTES))}`
    const sealed = sealDocument(masterKey(), id, content, context.random)
    const stored = await documents.insert({
      id, userId, kind: request.body.kind.value, mediaType, sizeBytes: content.length, uploadedAtMs: context.clock.now_ms(), ...sealed,
    }, DOCUMENTS_PER_USER_MAX)
    if (!stored) throw new HttpError(409, 'TOO_MANY_DOCUMENTS', `a user keeps at most ${DOCUMENTS_PER_USER_MAX} documents`)
    return reply.code(201).send(documentReply((await documents.byId(id))!))
  })
}

/** A user's documents listed, and one opened: a user their own, an operator anyone's. */
function readingRoutes(app: FastifyInstance, { documents, users }: HubServices, masterKey: () => Uint8Array): void {
  const signedIn = [app.authenticate, requireRole(...ROLES)]
  app.get<{ Reply: { documents: DocumentReply[] } }>('/users/documents', { schema: ownListSchema, preValidation: signedIn },
    async (request) => ({ documents: (await documents.ofUser(callerOf(request).userId, DOCUMENTS_PER_USER_MAX)).map(documentReply) }))

  app.get<{ Params: { id: string }; Reply: { documents: DocumentReply[] } }>('/users/:id/documents',
    { schema: userListSchema, preValidation: signedIn }, async (request) => {
      const caller = callerOf(request)
      if (caller.role !== 'operator' && caller.userId !== request.params.id) {
        throw new HttpError(403, 'FORBIDDEN', 'these are another user’s documents')
      }
      if (await users.byId(request.params.id) === undefined) throw new HttpError(404, 'NOT_FOUND', `no user ${request.params.id}`)
      return { documents: (await documents.ofUser(request.params.id, DOCUMENTS_PER_USER_MAX)).map(documentReply) }
    })

  app.get<{ Params: { id: string; docId: string } }>('/users/:id/documents/:docId/file',
    { schema: fileSchema, preValidation: signedIn }, async (request, reply) => {
      const document = await visibleDocument(documents, request, request.params.id, request.params.docId)
      const content = openDocument(masterKey(), document.id, (await documents.sealedById(document.id))!)
      // Not the client's doing: the row was altered, or the master key is not the one it was sealed with.
      if (content === undefined) throw new Error(`document ${document.id} does not decrypt under the hub's master key`)
      request.log.info({ documentId: document.id, viewerUserId: callerOf(request).userId }, 'kyc document opened')
      return reply
        .type(document.mediaType)
        .header('content-disposition', `attachment; filename="${document.id}"`)
        .header('cache-control', 'no-store')
        .send(Buffer.from(content))
    })
}

/** An operator approves or rejects a document, in the audit log in the same transaction; its owner is told, and the live events. */
function reviewRoutes(app: FastifyInstance, context: HubContext, { documents, users, audit, events }: HubServices): void {
  const operatorOnly = [app.authenticate, requireRole('operator')]
  for (const decision of ['approve', 'reject'] as const) {
    app.post<{ Params: { id: string; docId: string }; Body: { reason?: string }; Reply: DocumentReply }>(
      `/users/:id/documents/:docId/${decision}`,
      { schema: reviewSchema(decision), bodyLimit: REVIEW_BODY_LIMIT_BYTES, preValidation: [...operatorOnly, absentBodyAsEmpty] },
      async (request) => {
        const document = await visibleDocument(documents, request, request.params.id, request.params.docId)
        const status = decision === 'approve' ? 'approved' : 'rejected'
        const reason = request.body.reason ?? null
        const owner = (await users.byId(document.userId))!
        const reviewerUserId = callerOf(request).userId
        const now_ms = context.clock.now_ms()
        const reviewed = await context.engine.write(async (sql) => {
          if (!await documents.reviewIn(sql, document.id, { status, reason, reviewerUserId, reviewedAtMs: now_ms })) return false
          await audit.recordIn(sql, {
            atMs: now_ms, actorId: reviewerUserId, action: `kyc.${decision}`, targetId: document.id,
            targetName: `${document.kind.replace(/_/g, ' ')} of ${userNameOf(owner)}`, detail: reason,
          })
          return true
        })
        if (!reviewed) throw new HttpError(409, 'DOCUMENT_REVIEWED', `document ${document.id} was ${document.status} already`)
        events.publish({ type: 'kyc.reviewed', data: { userId: document.userId, documentId: document.id, status } })
        await app.notifier.send(documentReviewedMessage(owner, document, status, reason))
        return documentReply((await documents.byId(document.id))!)
      })
  }
}

/** onRequest, before any body is read: request.isMultipart() is only known after parsing. */
async function multipartOnly(request: FastifyRequest): Promise<void> {
  if (!/^multipart\/form-data\s*;/i.test(request.headers['content-type'] ?? '')) {
    throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send the document as multipart/form-data with a `file` part and a `kind` part')
  }
}

function documentReply(document: KycDocument): DocumentReply {
  return {
    id: document.id,
    userId: document.userId,
    kind: document.kind,
    mediaType: document.mediaType,
    sizeBytes: document.sizeBytes,
    sha256: document.contentSha256,
    status: document.status,
    reviewReason: document.reviewReason,
    uploadedAt: new Date(document.uploadedAtMs).toISOString(),
    reviewedAt: document.reviewedAtMs === null ? null : new Date(document.reviewedAtMs).toISOString(),
  }
}
