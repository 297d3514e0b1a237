// Double-spend flags on the wire (GET /flags, POST /flags/{id}/resolve): the JSON schema of a flag with
// both authorizations, matching FlagView (flags.ts) field for field.

import { FLAG_STATUSES } from './flag-wire'

const HEX = { type: 'string', pattern: '^[0-9a-f]*$' } as const

const AUTHORIZATION_SCHEMA = {
  type: 'object',
  required: ['transferId', 'gatewayId', 'gatewayEui', 'counter', 'cumulativeMinor', 'amountMinor', 'currency', 'atMs', 'messageHex',
    'signatureHex', 'signatureValid'],
  additionalProperties: false,
  properties: {
    transferId: { type: ['string', 'null'], description: 'the ledger transfer that settled it; null when none did (refused online)' },
    gatewayId: { type: ['string', 'null'], description: 'the gateway the customer signed for; null when the hub knows none of that EUI' },
    gatewayEui: { type: 'string' },
    counter: { type: 'integer', description: 'the authorization’s seq under the voucher' },
    cumulativeMinor: { type: 'integer', description: 'spent under the voucher, this payment included, as the phone signed it' },
    amountMinor: { type: 'integer' },
    currency: { type: 'string' },
    atMs: { type: 'integer', description: 'the phone’s clock when it signed' },
    messageHex: { ...HEX, description: 'the bytes the phone signed (the Authorization without its signature)' },
    signatureHex: { ...HEX, description: 'Ed25519, 64 bytes' },
    signatureValid: { type: 'boolean', description: 'the signature verifies over messageHex under payerDeviceKey' },
  },
} as const

export const FLAG_REPLY_SCHEMA = {
  type: 'object',
  required: ['id', 'kind', 'gatewayId', 'voucherId', 'payerUserId', 'payerDeviceKey', 'detectedAtMs', 'status', 'resolvedAtMs',
    'resolvedByUserId', 'resolvedByName', 'note', 'authorizations'],
  additionalProperties: false,
  properties: {
    id: { type: 'integer', minimum: 1 },
    kind: {
      type: 'string', enum: ['same_seq', 'cumulative'],
      description: 'same_seq: two payments under one counter; cumulative: amounts that cannot both be true',
    },
    gatewayId: { type: ['string', 'null'], description: 'the gateway whose record or request revealed it' },
    voucherId: { type: 'string' },
    payerUserId: { type: ['string', 'null'] },
    payerDeviceKey: { type: ['string', 'null'], description: 'the Ed25519 key the voucher was issued to, hex' },
    detectedAtMs: { type: 'integer' },
    status: { type: 'string', enum: [...FLAG_STATUSES] },
    resolvedAtMs: { type: ['integer', 'null'] },
    resolvedByUserId: { type: ['string', 'null'] },
    resolvedByName: { type: ['string', 'null'] },
    note: { type: ['string', 'null'], description: 'why the operator resolved it' },
    authorizations: {
      type: 'array', minItems: 2, maxItems: 2, items: AUTHORIZATION_SCHEMA,
      description: 'the payment known first, then the one that contradicts it',
    },
  },
} as const
