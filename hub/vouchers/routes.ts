// The phone's routes of the mobile API (seed paths under /api/auth/device): bind a device and
// its Ed25519 key, list and unbind devices, and ask for an offline allowance (a voucher).

import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import { fromBase64, toBase64 } from '../../protocol/bytes'
import { currencyByCode, formatAmount, parseAmount } from '../../protocol/money'
import { requireAcceptablePublicKey } from '../../protocol/signature/public-key'
import type { HubServices, RouteOptions } from '../http/route-services'
import { requireRole, requireVerifiedAccount } from '../http/auth'
import { errorReplies, HttpError } from '../http/errors'
import { printableLine } from '../http/text'
import { BEARER_SECURITY } from '../money/wire'
import { DEVICES_PER_USER_MAX, type Device, type KeyedDevice } from './device-store'
import { MOBILE_ACCOUNTS_SCHEMA, mobileAccountsOf } from '../mobile/accounts'
import { ownDevice } from './own-device'
import { VOUCHER_REPLY_SCHEMA, voucherReply, type VoucherReply } from './replies'
import { VOUCHERS_LISTED_MAX } from './vouchers'

const DEVICE_REPLY = {
  type: 'object',
  required: ['id', 'imei', 'publicKey', 'model', 'brand', 'boundAt'],
  additionalProperties: false,
  properties: {
    id: { type: 'string' },
    imei: { type: 'string' },
    publicKey: { type: ['string', 'null'], description: 'Ed25519 public key, base64; null for a device imported from the legacy system until its app binds a key' },
    model: { type: ['string', 'null'] },
    brand: { type: ['string', 'null'] },
    boundAt: { type: 'string', format: 'date-time' },
  },
} as const

const IMEI = { type: 'string', minLength: 1, maxLength: 64, pattern: '^[0-9A-Za-z-]+$' } as const

function deviceReply(device: Device) {
  return {
    id: device.id,
    imei: device.imei,
    publicKey: device.publicKey === null ? null : toBase64(device.publicKey),
    model: device.model,
    brand: device.brand,
    boundAt: new Date(device.boundAtMs).toISOString(),
  }
}

const bindSchema = {
  summary: 'Bind this phone and its Ed25519 public key to the signed-in customer',
  description: `A customer may have ${DEVICES_PER_USER_MAX} devices bound at once; one more is refused with 409 DEVICE_LIMIT. `
    + 'A device of the caller imported from the legacy system, bound under this IMEI without a key, takes the key and keeps its id.',
  tags: ['devices'],
  security: BEARER_SECURITY,
  body: {
    type: 'object',
    required: ['imei', 'publicKey'],
    additionalProperties: false,
    properties: {
      imei: IMEI,
      publicKey: { type: 'string', minLength: 44, maxLength: 44, description: '32 bytes, base64' },
      model: printableLine(80),
      brand: printableLine(80),
    },
  },
  response: { 201: DEVICE_REPLY, ...errorReplies(400, 401, 403, 409) },
} as const

const devicesSchema = {
  summary: 'The devices bound to the signed-in user, and their wallets and linked accounts',
  tags: ['devices'],
  security: BEARER_SECURITY,
  response: {
    200: {
      type: 'object', required: ['devices', 'wallets', 'linkedAccounts'], additionalProperties: false,
      properties: { devices: { type: 'array', items: DEVICE_REPLY }, ...MOBILE_ACCOUNTS_SCHEMA },
    },
    ...errorReplies(401),
  },
} as const

const unbindSchema = {
  summary: 'Unbind a device; its open vouchers are revoked at once',
  tags: ['devices'],
  security: BEARER_SECURITY,
  body: { type: 'object', required: ['imei'], additionalProperties: false, properties: { imei: IMEI } },
  response: {
    200: {
      type: 'object', required: ['imei', 'revokedVouchers'], additionalProperties: false,
      properties: { imei: { type: 'string' }, revokedVouchers: { type: 'integer' } },
    },
    ...errorReplies(400, 401, 403, 404),
  },
} as const

const voucherSchema = {
  summary: 'Issue an offline allowance: a hub-signed voucher backed by a hold on the wallet',
  description: 'Within caps that keep the revocation list bounded: open vouchers per device and per customer (409), '
    + 'vouchers issued and revoked per customer in a rolling window (429), a smallest allowance (400), and a bound on '
    + 'the vouchers the whole hub may have to list as revoked (503, until some expire).',
  tags: ['devices'],
  security: BEARER_SECURITY,
  body: {
    type: 'object',
    required: ['imei', 'amount', 'currency'],
    additionalProperties: false,
    properties: {
      imei: IMEI,
      amount: { type: 'string', maxLength: 24, description: 'the allowance in major units, e.g. "50.00"' },
      currency: { type: 'string', pattern: '^[A-Z]{3}$' },
    },
  },
  response: {
    201: {
      type: 'object',
      required: ['voucher', 'voucherId', 'limitMinor', 'limit', 'currency', 'expiresAt', 'uploadDeadlineAt', 'hubPublicKey'],
      additionalProperties: false,
      properties: {
        voucher: { type: 'string', description: 'the signed Voucher, base64 of its canonical encoding' },
        voucherId: { type: 'string' },
        limitMinor: { type: 'integer' },
        limit: { type: 'string' },
        currency: { type: 'string' },
        expiresAt: { type: 'string', format: 'date-time' },
        uploadDeadlineAt: { type: 'string', format: 'date-time' },
        hubPublicKey: { type: 'string' },
      },
    },
    ...errorReplies(400, 401, 403, 404, 409, 429, 503),
  },
} as const

const vouchersSchema = {
  summary: 'The caller’s vouchers on every device, newest first, with what the hub has settled against each',
  description: `At most the newest ${VOUCHERS_LISTED_MAX}. spentMinor is what gateways have synced and the hub settled: `
    + 'offline spends not yet synced are not in it, so a phone may have spent more.',
  tags: ['devices'],
  security: BEARER_SECURITY,
  response: {
    200: {
      type: 'object', required: ['vouchers'], additionalProperties: false,
      properties: { vouchers: { type: 'array', maxItems: VOUCHERS_LISTED_MAX, items: VOUCHER_REPLY_SCHEMA } },
    },
    ...errorReplies(401, 403),
  },
} as const

const customerVouchersSchema = {
  summary: 'A customer’s vouchers on every device, newest first, as the customer sees them (operator)',
  description: `At most the newest ${VOUCHERS_LISTED_MAX}; spentMinor as in GET /api/auth/device/vouchers. An unknown user has none.`,
  tags: ['devices'],
  security: BEARER_SECURITY,
  params: {
    type: 'object', required: ['id'], additionalProperties: false,
    properties: { id: { type: 'string', minLength: 1, maxLength: 64, description: 'the user id' } },
  },
  response: { 200: vouchersSchema.response[200], ...errorReplies(400, 401, 403) },
} as const

const revokeSchema = {
  summary: 'Revoke one of the caller’s open vouchers: every gateway is told, and refuses it from then on',
  description: 'As unbinding its device would: a revocation delta goes to every gateway. Its hold still pays what gateways '
    + 'took before the revocation and is given back at the upload deadline, as for any voucher. A voucher revoked or '
    + 'expired already: 409 VOUCHER_NOT_OPEN, nothing changes. Revocations count towards the rate that holds back new vouchers.',
  tags: ['devices'],
  security: BEARER_SECURITY,
  params: {
    type: 'object', required: ['id'], additionalProperties: false,
    properties: { id: { type: 'string', pattern: '^[0-9a-f]{32}$', description: 'the voucher id' } },
  },
  response: { 200: VOUCHER_REPLY_SCHEMA, ...errorReplies(400, 401, 403, 404, 409) },
} as const

export const voucherRoutes: FastifyPluginAsync<RouteOptions> = async (app, { context, services }) => {
  const { devices, vouchers, revocations } = services
  const customer = [app.authenticate, requireRole('customer')]
  const { links } = services
  customerVoucherRoutes(app, services)

  app.post<{ Body: { imei: string; publicKey: string; model?: string; brand?: string } }>('/api/auth/device/binding', {
    preValidation: customer,
    schema: bindSchema,
  }, async (request, reply) => {
    const publicKey = fromBase64(request.body.publicKey)
    // A small-order key would let anyone sign this device's payments, with no secret.
    requireAcceptablePublicKey(publicKey, 'publicKey')
    const device: KeyedDevice = {
      id: `dev_${Buffer.from(context.random(12)).toString('hex')}`,
      userId: request.user.sub,
      imei: request.body.imei,
      publicKey,
      model: request.body.model ?? null,
      brand: request.body.brand ?? null,
      boundAtMs: context.clock.now_ms(),
    }
    const outcome = await devices.bind(device, DEVICES_PER_USER_MAX)
    if (outcome === 'taken') throw new HttpError(409, 'DEVICE_ALREADY_BOUND', 'this device or key is already bound; unbind it first')
    if (outcome === 'full') {
      throw new HttpError(409, 'DEVICE_LIMIT', `you have ${DEVICES_PER_USER_MAX} devices bound, the most a user may; unbind one first`)
    }
    return reply.code(201).send(deviceReply((await devices.boundByImei(device.imei))!))
  })

  app.get('/api/auth/device/user', {
    preValidation: [app.authenticate],
    schema: devicesSchema,
  }, async request => ({
    devices: (await devices.boundToUser(request.user.sub)).map(deviceReply),
    ...(await mobileAccountsOf(context.ledger, links, request.user.sub)),
  }))

  app.post<{ Body: { imei: string } }>('/api/auth/device/user-unbind', {
    preValidation: customer,
    schema: unbindSchema,
  }, async request => {
    const device = await ownDevice(devices, request.user.sub, request.body.imei)
    const open = await vouchers.openVouchers(device.id)
    if (open.length > 0) await revocations.revoke(open, 'device unbound')
    await devices.unbind(device.id, context.clock.now_ms())
    return { imei: device.imei, revokedVouchers: open.length }
  })

  app.post<{ Body: { imei: string; amount: string; currency: string } }>('/api/auth/device/voucher', {
    preValidation: [...customer, requireVerifiedAccount],
    schema: voucherSchema,
  }, async (request, reply) => {
    const device = await ownDevice(devices, request.user.sub, request.body.imei)
    const currency = currencyByCode(request.body.currency).code
    const limit_minor = parseAmount(request.body.amount, currency, { allowZero: false })
    const issued = await vouchers.issue(device, limit_minor, currency)
    return reply.code(201).send({
      voucher: toBase64(issued.encoded),
      voucherId: issued.voucherIdHex,
      limitMinor: limit_minor,
      limit: formatAmount(limit_minor, currency),
      currency,
      expiresAt: new Date(issued.voucher.expiresAtMs).toISOString(),
      uploadDeadlineAt: new Date(issued.uploadDeadlineAtMs).toISOString(),
      hubPublicKey: toBase64(context.hubKeys.publicKey),
    })
  })
}

/** A customer's vouchers: listed with what is left of each, and revoked one by one. */
function customerVoucherRoutes(app: FastifyInstance, { vouchers, revocations }: HubServices): void {
  const customer = [app.authenticate, requireRole('customer')]

  app.get<{ Reply: { vouchers: VoucherReply[] } }>('/api/auth/device/vouchers', { preValidation: customer, schema: vouchersSchema },
    async request => ({ vouchers: (await vouchers.ofCustomer(request.user.sub)).map(voucherReply) }))

  // Support sees what a customer sees, without signing in as them.
  app.get<{ Params: { id: string }; Reply: { vouchers: VoucherReply[] } }>('/admin/users/:id/vouchers', {
    preValidation: [app.authenticate, requireRole('operator')], schema: customerVouchersSchema,
  }, async request => ({ vouchers: (await vouchers.ofCustomer(request.params.id)).map(voucherReply) }))

  app.post<{ Params: { id: string }; Reply: VoucherReply }>('/api/auth/device/vouchers/:id/revoke', {
    preValidation: customer,
    schema: revokeSchema,
  }, async request => {
    const { id } = request.params
    const voucher = await vouchers.oneOfCustomer(id, request.user.sub)
    // Someone else's voucher answers as a missing one: voucher ids are not to be probed.
    if (voucher === undefined) throw new HttpError(404, 'NOT_FOUND', `you have no voucher ${id}`)
    if (voucher.status === 'revoked' || voucher.status === 'expired') {
      throw new HttpError(409, 'VOUCHER_NOT_OPEN', `voucher ${id} is ${voucher.status} already`)
    }
    await revocations.revoke([id], 'revoked by its customer')
    return voucherReply((await vouchers.oneOfCustomer(id, request.user.sub))!)
  })
}
