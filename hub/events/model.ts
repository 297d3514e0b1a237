// The live events the hub pushes to the dashboard over GET /events: their types, the data each carries
// (the JSON a client reads, with a JSON schema each for the OpenAPI document and the tests), and who sees one.

import type { Role } from '../http/roles'

interface PaymentSettled {
  readonly transferId: string
  /** The gateway that took the payment; null for a payment between wallets (P2P). */
  readonly gatewayId: string | null
  readonly currency: string
  readonly amountMinor: number
  /** The same amount, decimal in major units. */
  readonly amount: string
  readonly payerAccountId: string
  readonly payeeAccountId: string
  /** When the hub settled it. */
  readonly atMs: number
}

interface GatewayPresenceChanged {
  readonly gatewayId: string
  readonly online: boolean
  /** When the hub saw the gateway's connection open or close. */
  readonly lastSeenAtMs: number
}

interface OrderDecided {
  readonly orderId: string
  readonly status: 'validated' | 'rejected'
  readonly buyerId: string
}

interface KycReviewed {
  readonly userId: string
  readonly documentId: string
  readonly status: 'approved' | 'rejected'
}

interface DoubleSpendFlagged {
  /** The flag's id, as GET /flags gives it. */
  readonly flagId: number
  readonly gatewayId: string | null
  readonly voucherId: string | null
  readonly atMs: number
}

interface LiveEventData {
  'payment.settled': PaymentSettled
  'gateway.presence': GatewayPresenceChanged
  'order.decided': OrderDecided
  'kyc.reviewed': KycReviewed
  'doublespend.flagged': DoubleSpendFlagged
}

export type LiveEventType = keyof LiveEventData

/** An event as a producer hands it over: its type and its data. */
export type NewLiveEvent = { [Type in LiveEventType]: { readonly type: Type; readonly data: LiveEventData[Type] } }[LiveEventType]

/** An event as the hub keeps and sends it. */
export type LiveEvent = NewLiveEvent & {
  /** Increases by one per event, and never repeats, across restarts too (sequence-store.ts). */
  readonly id: number
  /** The users, besides operators, who may see it: resolved once, when it was published. */
  readonly audience: readonly string[]
}

/** Who is reading a stream. Roles are a list, so a user holding several (an owner who is also a customer) is one viewer. */
export interface Viewer {
  readonly userId: string
  readonly roles: readonly Role[]
}

/** Whether `viewer` may see `event`: an operator sees every event; anyone else, the events about them. */
export function mayView(viewer: Viewer, event: Pick<LiveEvent, 'audience'>): boolean {
  return viewer.roles.includes('operator') || event.audience.includes(viewer.userId)
}

const STRING = { type: 'string' } as const
const NULLABLE_STRING = { type: ['string', 'null'] } as const
const TIME_MS = { type: 'integer', description: 'Unix milliseconds' } as const
const FLAG_ID = { type: 'integer', minimum: 1, description: 'the id GET /flags gives the flag' } as const

/** The JSON schema of each type's `data`, registered with the app by $id, so the OpenAPI document lists them. */
export const LIVE_EVENT_DATA_SCHEMAS = {
  'payment.settled': {
    $id: 'PaymentSettledEvent',
    type: 'object',
    description: 'A payment settled: taken at a gateway (offline record or online approval) or between wallets.',
    required: ['transferId', 'gatewayId', 'currency', 'amountMinor', 'amount', 'payerAccountId', 'payeeAccountId', 'atMs'],
    additionalProperties: false,
    properties: {
      transferId: STRING,
      gatewayId: { ...NULLABLE_STRING, description: 'null for a payment between wallets' },
      currency: { type: 'string', description: 'ISO 4217' },
      amountMinor: { type: 'integer' },
      amount: { type: 'string', description: 'decimal, in major units' },
      payerAccountId: STRING,
      payeeAccountId: { type: 'string', description: 'the payee’s wallet, or the gateway’s merchant account' },
      atMs: { ...TIME_MS, description: 'when the hub settled it, Unix milliseconds' },
    },
  },
  'gateway.presence': {
    $id: 'GatewayPresenceEvent',
    type: 'object',
    description: 'A gateway’s MQTT connection opened or closed.',
    required: ['gatewayId', 'online', 'lastSeenAtMs'],
    additionalProperties: false,
    properties: { gatewayId: STRING, online: { type: 'boolean' }, lastSeenAtMs: TIME_MS },
  },
  'order.decided': {
    $id: 'OrderDecidedEvent',
    type: 'object',
    description: 'An operator validated or rejected an order.',
    required: ['orderId', 'status', 'buyerId'],
    additionalProperties: false,
    properties: { orderId: STRING, status: { type: 'string', enum: ['validated', 'rejected'] }, buyerId: STRING },
  },
  'kyc.reviewed': {
    $id: 'KycReviewedEvent',
    type: 'object',
    description: 'An operator approved or rejected a KYC document.',
    required: ['userId', 'documentId', 'status'],
    additionalProperties: false,
    properties: { userId: STRING, documentId: STRING, status: { type: 'string', enum: ['approved', 'rejected'] } },
  },
  'doublespend.flagged': {
    $id: 'DoubleSpendFlaggedEvent',
    type: 'object',
    description: 'The hub flagged a double spend, with both signed authorizations as proof (operators only).',
    required: ['flagId', 'gatewayId', 'voucherId', 'atMs'],
    additionalProperties: false,
    properties: { flagId: FLAG_ID, gatewayId: NULLABLE_STRING, voucherId: NULLABLE_STRING, atMs: TIME_MS },
  },
} as const satisfies Record<LiveEventType, { readonly $id: string; readonly [keyword: string]: unknown }>

/** The data of `reset`: the Last-Event-ID given is older than the events the hub keeps; the client reloads everything. */
export const RESET_EVENT_DATA_SCHEMA = {
  $id: 'ResetEvent',
  type: 'object',
  description: 'The Last-Event-ID given is older than the events the hub keeps (or from before a restart): reload everything.',
  additionalProperties: false,
  properties: {},
} as const
