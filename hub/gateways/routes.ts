// REST routes of gateways: the public catalog, the operator's management (create, change, assign,
// provisioning tokens, risk limits, retire), the gateway's own POST /provision, and the owner's view.

import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import { fromBase64, toBase64 } from '../../protocol/bytes'
import { parseEui } from '../../protocol/eui'
import { AMOUNT_MAX_MINOR, formatMoney } from '../../protocol/money'
import { userNameOf } from '../audit/store'
import type { AuditAction } from '../audit/wire'
import type { HubContext } from '../context'
import type { HubServices, RouteOptions } from '../http/route-services'
import { LORA_REPLY_SCHEMA, LORA_REPORTS_LISTED_MAX, loraReply } from '../lora/replies'
import type { LoraReply } from '../lora/wire'
import { requireRole } from '../http/auth'
import { HttpError, errorReplies } from '../http/errors'
import { printableLine } from '../http/text'
import type { SqlQuery } from '../store/sql'
import { callerOf } from '../money/wire'
import { assignGateway } from './assign'
import { createGateway, removeGateway, updateGateway } from './catalog'
import { changeRiskLimits, clearRetainedMessages, currentRiskLimits } from './config'
import { gatewayOfCaller } from './visible'
import { gatewayMqttUrl, gatewayTopics, issueProvisioningToken, provisionGateway, shutOutOfBroker, type GatewayTopics } from './provisioning'
import {
  CATALOG_ENTRY_SCHEMA, CHAIN_WRITE_OFF_REPLY_SCHEMA, GATEWAY_REPLY_SCHEMA, OWNER_GATEWAY_REPLY_SCHEMA, RISK_REPLY_SCHEMA, STATUS_REPLY_SCHEMA, catalogEntryReply, gatewayReply,
  pageReplySchema, riskReply, statusReply, syncReply,
} from './replies'
import {
  CLOCK_SKEW_MAX_MS_LIMIT, CONSECUTIVE_OFFLINE_MAX_LIMIT, ONLINE_POLICY_NAMES, UNSYNCED_COUNT_MAX_LIMIT,
  UPLOAD_DEADLINE_MS_LIMIT, onlinePolicyByName,
} from './risk'
import type { OnlinePolicyName } from '../../protocol/messages/online-policy'
import { GATEWAY_PAGE_SIZE_MAX, GatewayStore, type Gateway } from './store'
import type {
  CatalogEntryReply, ChainWriteOffReply, GatewayReply, OwnerGatewayReply, PageReply, RiskReply, StatusReply, TokenReply,
} from './wire'

const PAGE_SIZE_DEFAULT = 20
const PAGE_MAX = 100_000
const EUI_TEXT_LENGTH_MAX = 23
const PUBLIC_KEY_TEXT_LENGTH_MAX = 128
/** Room for a login token pasted by mistake, so it gets its own answer (LOGIN_TOKEN_GIVEN) rather than a schema error. */
const TOKEN_TEXT_LENGTH_MAX = 2_048
const PRICE_TEXT_LENGTH_MAX = 32

const BEARER = [{ bearerAuth: [] }]

const ID_PARAMS = {
  type: 'object',
  required: ['id'],
  additionalProperties: false,
  properties: { id: { type: 'string', minLength: 1, maxLength: 64 } },
} as const

const PAGE_QUERY = {
  type: 'object',
  additionalProperties: false,
  properties: {
    page: { type: 'integer', minimum: 1, maximum: PAGE_MAX, default: 1 },
    pageSize: { type: 'integer', minimum: 1, maximum: GATEWAY_PAGE_SIZE_MAX, default: PAGE_SIZE_DEFAULT },
  },
} as const

const NAME = printableLine(120)
const TYPE = { type: 'string', minLength: 1, maxLength: 40, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' } as const
const PRICE_PROPERTIES = {
  price: { type: 'string', minLength: 1, maxLength: PRICE_TEXT_LENGTH_MAX, description: 'decimal in major units, e.g. "25000" XOF or "49.90" EUR' },
  priceMinor: { type: 'integer', minimum: 0, maximum: AMOUNT_MAX_MINOR, description: 'instead of price: integer minor units' },
  currency: { type: 'string', pattern: '^[A-Z]{3}$', description: 'ISO 4217 of the price; XOF if absent' },
} as const

interface IdParams {
  id: string
}

interface ChainParams {
  id: string
  chain: number
}

interface PageQuery {
  page: number
  pageSize: number
}

interface CreateBody {
  name: string
  type: string
  eui: string
  price?: string
  priceMinor?: number
  currency?: string
}

interface UpdateBody {
  name?: string
  type?: string
  price?: string
  priceMinor?: number
  currency?: string
}

interface AssignBody {
  ownerUserId: string
  merchantAccountId?: string
}

interface ProvisionBody {
  eui: string
  token: string
  publicKey: string
}

interface ProvisionReply {
  gatewayId: string
  eui: string
  hubPublicKey: string
  certificate?: string
  mqtt: {
    url: string; usernameScheme: 'eui'; passwordScheme: 'ed25519-signature-v1' | 'broker-password-v1'; password?: string
    topics: GatewayTopics; certificate?: string
  }
  riskConfig: string
}

interface RiskBody {
  floorLimitMinor?: number
  unsyncedTotalMaxMinor?: number
  unsyncedCountMax?: number
  consecutiveOfflineMax?: number
  uploadDeadlineMs?: number
  clockSkewMaxMs?: number
  defaultPolicy?: OnlinePolicyName
}

const catalogSchema = {
  summary: 'The gateway catalog: every gateway that is not retired, oldest first',
  tags: ['gateways'],
  querystring: PAGE_QUERY,
  response: { 200: pageReplySchema(CATALOG_ENTRY_SCHEMA), ...errorReplies(400) },
} as const

const catalogEntrySchema = {
  summary: 'One gateway of the catalog; a retired one is not in it (404)',
  tags: ['gateways'],
  params: ID_PARAMS,
  response: { 200: CATALOG_ENTRY_SCHEMA, ...errorReplies(400, 404) },
} as const

const createSchema = {
  summary: 'Add a gateway to the catalog (operator)',
  tags: ['gateways'],
  security: BEARER,
  body: {
    type: 'object',
    required: ['name', 'type', 'eui'],
    additionalProperties: false,
    properties: {
      name: NAME,
      type: TYPE,
      eui: { type: 'string', minLength: 1, maxLength: EUI_TEXT_LENGTH_MAX, description: 'EUI-64: 16 hex digits, - or : between bytes allowed' },
      ...PRICE_PROPERTIES,
    },
  },
  response: { 201: GATEWAY_REPLY_SCHEMA, ...errorReplies(400, 401, 403, 409) },
} as const

const updateSchema = {
  summary: 'Change the name, type or price of a gateway (operator)',
  tags: ['gateways'],
  security: BEARER,
  params: ID_PARAMS,
  body: {
    type: 'object',
    minProperties: 1,
    additionalProperties: false,
    properties: { name: NAME, type: TYPE, ...PRICE_PROPERTIES },
  },
  response: { 200: GATEWAY_REPLY_SCHEMA, ...errorReplies(400, 401, 403, 404, 409) },
} as const

const removeSchema = {
  summary: 'Delete a gateway that never took a payment, or retire one that did (operator)',
  tags: ['gateways'],
  security: BEARER,
  params: ID_PARAMS,
  response: {
    200: { ...GATEWAY_REPLY_SCHEMA, description: 'retired: kept, with its records, for audit' },
    204: { type: 'null', description: 'deleted' },
    ...errorReplies(400, 401, 403, 404),
  },
} as const

const assignSchema = {
  summary: 'Assign a gateway to its owner and merchant account (operator)',
  tags: ['gateways'],
  security: BEARER,
  params: ID_PARAMS,
  body: {
    type: 'object',
    required: ['ownerUserId'],
    additionalProperties: false,
    properties: {
      ownerUserId: { type: 'string', minLength: 1, maxLength: 64 },
      merchantAccountId: {
        type: 'string', minLength: 1, maxLength: 160,
        description: "a wallet of the owner; by default the owner's wallet in the price currency",
      },
    },
  },
  response: { 200: GATEWAY_REPLY_SCHEMA, ...errorReplies(400, 401, 403, 404, 409) },
} as const

const tokenSchema = {
  summary: 'Issue a one-time provisioning token for an assigned gateway (operator); it replaces any earlier one',
  tags: ['gateways'],
  security: BEARER,
  params: ID_PARAMS,
  response: {
    201: {
      type: 'object',
      required: ['gatewayId', 'eui', 'token', 'expiresAt'],
      additionalProperties: false,
      properties: {
        gatewayId: { type: 'string' },
        eui: { type: 'string' },
        token: { type: 'string', description: '"pt_" then base64url; shown once, the hub keeps only its hash' },
        expiresAt: { type: 'string', format: 'date-time' },
      },
    },
    ...errorReplies(400, 401, 403, 404, 409),
  },
} as const

const provisionSchema = {
  summary: 'A gateway registers its Ed25519 public key with a provisioning token',
  description: 'No access token: the provisioning token is the credential, and it works once. '
    + 'Provisioning again with a new token (a re-imaged gateway) replaces the key. A refusal says which case it is: '
    + 'UNKNOWN_GATEWAY (404), LOGIN_TOKEN_GIVEN (400), TOKEN_NOT_ISSUED, WRONG_TOKEN, TOKEN_USED, TOKEN_EXPIRED (401).',
  tags: ['gateways'],
  body: {
    type: 'object',
    required: ['eui', 'token', 'publicKey'],
    additionalProperties: false,
    properties: {
      eui: { type: 'string', minLength: 1, maxLength: EUI_TEXT_LENGTH_MAX },
      token: { type: 'string', minLength: 1, maxLength: TOKEN_TEXT_LENGTH_MAX },
      publicKey: { type: 'string', minLength: 1, maxLength: PUBLIC_KEY_TEXT_LENGTH_MAX, description: 'base64, 32 bytes' },
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['gatewayId', 'eui', 'hubPublicKey', 'mqtt', 'riskConfig'],
      additionalProperties: false,
      properties: {
        gatewayId: { type: 'string' },
        eui: { type: 'string' },
        hubPublicKey: { type: 'string', description: 'base64 Ed25519 key to pin: it signs acks, vouchers, revocations and config' },
        certificate: {
          type: 'string',
          description: "the hub's TLS certificate (PEM), when it serves HTTPS: the gateway pins it, and every later call it makes "
            + 'to the hub must meet exactly this certificate',
        },
        mqtt: {
          type: 'object',
          required: ['url', 'usernameScheme', 'passwordScheme', 'topics'],
          additionalProperties: false,
          properties: {
            url: { type: 'string' },
            certificate: {
              type: 'string',
              description: "the certificate (PEM) the broker at url presents, when it is the hub's embedded broker over TLS (mqtts://): "
                + 'the gateway pins it',
            },
            usernameScheme: { type: 'string', enum: ['eui'] },
            passwordScheme: {
              type: 'string', enum: ['ed25519-signature-v1', 'broker-password-v1'],
              description: "ed25519-signature-v1: the hub's own broker, a fresh password signed with the gateway's key per CONNECT; "
                + 'broker-password-v1: an external Mosquitto whose logins the hub keeps, the password given here',
            },
            password: { type: 'string', description: 'with broker-password-v1: the password to log in with, as the EUI' },
            topics: {
              type: 'object',
              required: ['records', 'acks', 'config', 'revocations', 'onlineRequest', 'onlineResponse'],
              additionalProperties: false,
              properties: {
                records: { type: 'string' },
                acks: { type: 'string' },
                config: { type: 'string' },
                revocations: { type: 'string' },
                onlineRequest: { type: 'string' },
                onlineResponse: { type: 'string' },
              },
            },
          },
        },
        riskConfig: { type: 'string', description: 'base64 of the signed RiskConfig' },
      },
    },
    ...errorReplies(400, 401, 404),
  },
} as const

const riskSchema = {
  summary: 'The offline risk limits of a gateway (operator, or its owner)',
  tags: ['gateways'],
  security: BEARER,
  params: ID_PARAMS,
  response: { 200: RISK_REPLY_SCHEMA, ...errorReplies(400, 401, 403, 404) },
} as const

const changeRiskSchema = {
  summary: 'Change some offline risk limits of a gateway: a new signed config, published to it (operator)',
  tags: ['gateways'],
  security: BEARER,
  params: ID_PARAMS,
  body: {
    type: 'object',
    minProperties: 1,
    additionalProperties: false,
    properties: {
      floorLimitMinor: { type: 'integer', minimum: 1, maximum: AMOUNT_MAX_MINOR },
      unsyncedTotalMaxMinor: { type: 'integer', minimum: 1, maximum: AMOUNT_MAX_MINOR },
      unsyncedCountMax: { type: 'integer', minimum: 1, maximum: UNSYNCED_COUNT_MAX_LIMIT },
      consecutiveOfflineMax: { type: 'integer', minimum: 1, maximum: CONSECUTIVE_OFFLINE_MAX_LIMIT },
      uploadDeadlineMs: { type: 'integer', minimum: 1, maximum: UPLOAD_DEADLINE_MS_LIMIT },
      clockSkewMaxMs: { type: 'integer', minimum: 1, maximum: CLOCK_SKEW_MAX_MS_LIMIT },
      defaultPolicy: { type: 'string', enum: [...ONLINE_POLICY_NAMES] },
    },
  },
  response: { 200: RISK_REPLY_SCHEMA, ...errorReplies(400, 401, 403, 404, 409) },
} as const

const statusSchema = {
  summary: 'Status of a gateway and of its record chain at the hub (operator, or its owner)',
  tags: ['gateways'],
  security: BEARER,
  params: ID_PARAMS,
  response: { 200: STATUS_REPLY_SCHEMA, ...errorReplies(400, 401, 403, 404) },
} as const

const CHAIN_PARAMS = {
  type: 'object',
  required: ['id', 'chain'],
  additionalProperties: false,
  properties: { id: ID_PARAMS.properties.id, chain: { type: 'integer', minimum: 1, maximum: 1_000_000 } },
} as const

const writeOffSchema = {
  summary: "Close an old chain of a gateway that is still closing, writing its missing records off (operator)",
  description: 'A gateway provisioned again with a new key (or retired) leaves its old chain closing while records of it are '
    + 'missing at the hub; they can no longer arrive (the old key is refused). Writing them off closes the chain: the range is '
    + 'recorded with the note, in the audit log too. A chain that is open or closed already is a CONFLICT (409).',
  tags: ['gateways'],
  security: BEARER,
  params: CHAIN_PARAMS,
  body: {
    type: 'object',
    required: ['note'],
    additionalProperties: false,
    properties: { note: { ...printableLine(500), description: 'why the records are written off (e.g. "SD card lost")' } },
  },
  response: { 200: CHAIN_WRITE_OFF_REPLY_SCHEMA, ...errorReplies(400, 401, 403, 404, 409) },
} as const

const loraSchema = {
  summary: "A gateway's LoRa reports, sent while its IP link was down, and their checks against its records (operator, or its owner)",
  tags: ['gateways'],
  security: BEARER,
  params: ID_PARAMS,
  response: { 200: LORA_REPLY_SCHEMA, ...errorReplies(400, 401, 403, 404) },
} as const

const ownerGatewaysSchema = {
  summary: "The caller's gateways, retired ones included (owner)",
  tags: ['gateways'],
  security: BEARER,
  querystring: PAGE_QUERY,
  response: { 200: pageReplySchema(OWNER_GATEWAY_REPLY_SCHEMA), ...errorReplies(400, 401, 403) },
} as const

export const gatewayRoutes: FastifyPluginAsync<RouteOptions> = async (app, { context, services }) => {
  catalogRoutes(app, services.gateways)
  managementRoutes(app, context, services)
  chainRoutes(app, context, services)
  provisioningRoute(app, context, services.gateways)
  oversightRoutes(app, context, services)
}

/** The public catalog of gateways. */
function catalogRoutes(app: FastifyInstance, store: GatewayStore): void {
  app.get<{ Querystring: PageQuery; Reply: PageReply<CatalogEntryReply> }>(
    '/gateways', { schema: catalogSchema }, async (request) => {
      const { page, pageSize } = request.query
      const { gateways, total } = await store.catalogPage((page - 1) * pageSize, pageSize)
      return { items: gateways.map(catalogEntryReply), page, pageSize, total }
    })

  app.get<{ Params: IdParams; Reply: CatalogEntryReply }>(
    '/gateways/:id', { schema: catalogEntrySchema }, async (request) => {
      const gateway = await store.byId(request.params.id)
      if (gateway === undefined || gateway.status === 'retired') {
        throw new HttpError(404, 'NOT_FOUND', `no gateway ${request.params.id} in the catalog`)
      }
      return catalogEntryReply(gateway)
    })
}

/** What an operator does to a gateway: create, change, retire, assign to an owner, hand a provisioning token; each act that
 * changes something is written to the audit log in its transaction (one SqlEngine write, nothing else inside it). */
function managementRoutes(app: FastifyInstance, context: HubContext, { gateways: store, audit, users }: HubServices): void {
  const operatorOnly = [app.authenticate, requireRole('operator')]
  const record = (sql: SqlQuery, actorId: string, action: AuditAction, gateway: Gateway, detail: string | null) =>
    audit.recordIn(sql, { atMs: context.clock.now_ms(), actorId, action, targetId: gateway.id, targetName: gatewayName(gateway), detail })
  const inTransaction = <Result>(work: (sql: SqlQuery) => Promise<Result>): Promise<Result> => context.engine.write(work)

  app.post<{ Body: CreateBody; Reply: GatewayReply }>(
    '/gateways', { schema: createSchema, preValidation: operatorOnly }, async (request, reply) => {
      const { gateway: created, supersedes } = await inTransaction(async (sql) => {
        const creation = await createGateway(context, store, sql, request.body)
        const { gateway } = creation
        const reused = creation.supersedes ? '; takes the EUI of a retired gateway' : ''
        await record(sql, request.user.sub, 'gateway.create', gateway,
          `${gateway.type}, ${formatMoney(gateway.priceMinor, gateway.priceCurrency)}${reused}`)
        return creation
      })
      // The retired gateway's config and presence, if the broker still holds them, are not the new gateway's.
      if (supersedes) void clearRetainedMessages(context, created.eui)
      return reply.code(201).send(gatewayReply(created))
    })

  app.patch<{ Params: IdParams; Body: UpdateBody; Reply: GatewayReply }>(
    '/gateways/:id', { schema: updateSchema, preValidation: operatorOnly }, async (request) => {
      const changed = Object.entries(request.body).map(([field, value]) => `${field}=${String(value)}`).join(', ')
      return gatewayReply(await inTransaction(async (sql) => {
        const gateway = await updateGateway(store, sql, request.params.id, request.body)
        await record(sql, request.user.sub, 'gateway.update', gateway, changed)
        return gateway
      }))
    })

  app.delete<{ Params: IdParams; Reply: GatewayReply | null }>(
    '/gateways/:id', { schema: removeSchema, preValidation: operatorOnly }, async (request, reply) => {
      const removal = await inTransaction(async (sql) => {
        const removed = await removeGateway(context, store, sql, request.params.id)
        if (removed.outcome === 'deleted') await record(sql, request.user.sub, 'gateway.delete', removed.gateway, null)
        else if (removed.changed) await record(sql, request.user.sub, 'gateway.retire', removed.gateway, null)
        return removed
      })
      if (removal.outcome === 'deleted') return reply.code(204).send(null)
      if (removal.changed) {
        void clearRetainedMessages(context, removal.gateway.eui)
        void shutOutOfBroker(context, removal.gateway.eui)
      }
      return gatewayReply(removal.gateway)
    })

  app.post<{ Params: IdParams; Body: AssignBody; Reply: GatewayReply }>(
    '/gateways/:id/assign', { schema: assignSchema, preValidation: operatorOnly }, async (request) => {
      const actorId = request.user.sub
      // Read before the transaction, which runs nothing but its own statements.
      const owner = await users.byId(request.body.ownerUserId)
      const ownerName = owner === undefined ? request.body.ownerUserId : userNameOf(owner)
      return gatewayReply(await assignGateway(context, store, request.params.id, request.body, (sql, assigned) =>
        record(sql, actorId, 'gateway.assign', assigned, `to ${ownerName}, paid into ${assigned.merchantAccountId}`)))
    })

  app.post<{ Params: IdParams; Reply: TokenReply }>(
    '/gateways/:id/provisioning-token', { schema: tokenSchema, preValidation: operatorOnly }, async (request, reply) => {
      const actorId = request.user.sub
      const { gateway, token, expiresAtMs } = await inTransaction(async (sql) => {
        const issued = await issueProvisioningToken(context, store, sql, request.params.id)
        await record(sql, actorId, 'gateway.provisioning_token', issued.gateway, `valid until ${new Date(issued.expiresAtMs).toISOString()}`)
        return issued
      })
      return reply.code(201).send({ gatewayId: gateway.id, eui: gateway.eui, token, expiresAt: new Date(expiresAtMs).toISOString() })
    })
}

/** An operator closes an old chain of a gateway by writing its missing records off; audited in its transaction. */
function chainRoutes(app: FastifyInstance, context: HubContext, { gateways: store, audit }: HubServices): void {
  const operatorOnly = [app.authenticate, requireRole('operator')]
  app.post<{ Params: ChainParams; Body: { note: string }; Reply: ChainWriteOffReply }>(
    '/gateways/:id/chains/:chain/write-off', { schema: writeOffSchema, preValidation: operatorOnly }, async (request) => {
      const { id, chain } = request.params
      return context.engine.write(async (sql): Promise<ChainWriteOffReply> => {
        const gateway = await store.byId(id, sql)
        if (gateway === undefined) throw new HttpError(404, 'NOT_FOUND', `no gateway ${id}`)
        const done = await store.writeOffChain(sql, {
          gatewayId: id, chain, byUserId: request.user.sub, note: request.body.note, atMs: context.clock.now_ms(),
        })
        if (done.outcome === 'unknown') throw new HttpError(404, 'NOT_FOUND', `gateway ${gateway.eui} signed no chain ${chain}`)
        if (done.outcome === 'not_closing') {
          throw new HttpError(409, 'CONFLICT', done.state === 'open'
            ? `chain ${chain} of ${gateway.eui} is open: it closes when the gateway is provisioned with a new key or retired`
            : `chain ${chain} of ${gateway.eui} is closed already`)
        }
        await audit.recordIn(sql, {
          atMs: context.clock.now_ms(), actorId: request.user.sub, action: 'gateway.chain_write_off', targetId: gateway.id,
          targetName: gatewayName(gateway), detail: `chain ${chain}: records ${done.fromSeq}..${done.toSeq} written off; ${request.body.note}`,
        })
        return { gatewayId: gateway.id, eui: gateway.eui, chain, state: 'closed', writtenOffFromSeq: done.fromSeq, writtenOffToSeq: done.toSeq }
      })
    })
}

/** A gateway trades its provisioning token for its MQTT login and its first RiskConfig. */
function provisioningRoute(app: FastifyInstance, context: HubContext, store: GatewayStore): void {
  app.post<{ Body: ProvisionBody; Reply: ProvisionReply }>(
    '/provision', { schema: provisionSchema }, async (request) => {
      const { gateway, riskConfig, brokerPassword } = await provisionGateway(context, store, {
        eui: parseEui(request.body.eui),
        token: request.body.token,
        publicKey: fromBase64(request.body.publicKey),
      })
      // The certificate itself, not a fingerprint: a gateway builds its trust (mqtt.js's and fetch's `ca`) from it.
      const certificate = context.tls?.certificate.pem
      const embeddedBroker = context.config.mqttUrl === undefined
      return {
        gatewayId: gateway.id,
        eui: gateway.eui,
        hubPublicKey: toBase64(context.hubKeys.publicKey),
        ...(certificate === undefined ? {} : { certificate }),
        mqtt: {
          url: gatewayMqttUrl(context.config, request.hostname, context.broker.boundPort),
          usernameScheme: 'eui',
          ...(brokerPassword === undefined
            ? { passwordScheme: 'ed25519-signature-v1' as const }
            : { passwordScheme: 'broker-password-v1' as const, password: brokerPassword }),
          topics: gatewayTopics(gateway.eui),
          ...(certificate === undefined || !embeddedBroker ? {} : { certificate }),
        },
        riskConfig: toBase64(riskConfig),
      }
    })
}

/** A gateway's risk limits, chain status and LoRa reports, for an operator or its owner; an owner's gateways. */
function oversightRoutes(app: FastifyInstance, context: HubContext, services: HubServices): void {
  const store = services.gateways
  const { lora } = services
  const operatorOnly = [app.authenticate, requireRole('operator')]
  const operatorOrOwner = [app.authenticate, requireRole('operator', 'owner')]

  app.get<{ Params: IdParams; Reply: RiskReply }>(
    '/gateways/:id/risk', { schema: riskSchema, preValidation: operatorOrOwner }, async (request) => {
      const gateway = await gatewayOfCaller(store, callerOf(request), request.params.id)
      const { limits, issued } = await currentRiskLimits(context, gateway)
      return riskReply(gateway, limits, issued)
    })

  app.put<{ Params: IdParams; Body: RiskBody; Reply: RiskReply }>(
    '/gateways/:id/risk', { schema: changeRiskSchema, preValidation: operatorOnly }, async (request) => {
      const { defaultPolicy, ...limits } = request.body
      const patch = defaultPolicy === undefined ? limits : { ...limits, defaultPolicy: onlinePolicyByName(defaultPolicy) }
      const actorId = request.user.sub
      const changed = Object.entries(request.body).map(([field, value]) => `${field}=${String(value)}`).join(', ')
      const { gateway, body } = await changeRiskLimits(context, store, request.params.id, patch, (sql, target, issued) =>
        services.audit.recordIn(sql, {
          atMs: context.clock.now_ms(), actorId, action: 'gateway.risk_change', targetId: target.id,
          targetName: gatewayName(target), detail: `${changed}; config serial ${issued.serial}`,
        }))
      return riskReply(gateway, body, body)
    })

  app.get<{ Params: IdParams; Reply: StatusReply }>(
    '/gateways/:id/status', { schema: statusSchema, preValidation: operatorOrOwner }, async (request) => {
      const gateway = await gatewayOfCaller(store, callerOf(request), request.params.id)
      return statusReply(gateway, await store.chainStatus(gateway), (await lora.reports(gateway.eui, 1))[0])
    })

  app.get<{ Params: IdParams; Reply: LoraReply }>(
    '/gateways/:id/lora', { schema: loraSchema, preValidation: operatorOrOwner }, async (request) => {
      const gateway = await gatewayOfCaller(store, callerOf(request), request.params.id)
      return loraReply(gateway.id, gateway.eui, await lora.reports(gateway.eui, LORA_REPORTS_LISTED_MAX), await lora.mismatchCount(gateway.eui))
    })

  app.get<{ Querystring: PageQuery; Reply: PageReply<OwnerGatewayReply> }>(
    '/owner/gateways', { schema: ownerGatewaysSchema, preValidation: [app.authenticate, requireRole('owner')] },
    async (request) => {
      const { page, pageSize } = request.query
      const { gateways, total } = await store.ownerPage(request.user.sub, (page - 1) * pageSize, pageSize)
      const items: OwnerGatewayReply[] = []
      for (const gateway of gateways) {
        items.push({ ...gatewayReply(gateway), ...syncReply(await store.chainStatus(gateway), (await lora.reports(gateway.eui, 1))[0]) })
      }
      return { items, page, pageSize, total }
    })
}

/** How the audit log names a gateway. */
function gatewayName(gateway: Gateway): string {
  return `${gateway.name} (${gateway.eui})`
}
