// The notifications hubs send each other about live events (relay.ts), as JSON text: packed into as few as fit
// PostgreSQL's payload limit, and read back strictly: garbage, or a payload of another shape (a hub of another
// version), is refused whole, never half taken.

import Ajv from 'ajv'
import { LIVE_EVENT_DATA_SCHEMAS } from './model'
import type { RelayedEvent } from './relay'

/** PostgreSQL refuses a NOTIFY payload of 8000 bytes or more (the default build's limit). */
export const NOTIFICATION_PAYLOAD_BYTES_MAX = 7_999

export type RelayMessage =
  | { readonly kind: 'events'; readonly events: readonly RelayedEvent[] }
  | { readonly kind: 'access'; readonly userId: string }
  | { readonly kind: 'lost' }

/** A notification as read: the hub instance that sent it, and what it says. */
export type Notification = RelayMessage & { readonly hub: string }

export interface Packed {
  /** The notifications' payloads, to send in this order. */
  readonly payloads: readonly string[]
  /** What was left out because it does not fit one notification even alone (an event's type, or the message's kind). */
  readonly refused: readonly string[]
}

/**
 * `message` from hub instance `hub` as notification payloads: a batch of events in as few as fit `payloadBytes_max`,
 * in their order. The text is ASCII (JSON escapes the rest), so its length is its size in any database encoding.
 */
export function packNotifications(hub: string, message: RelayMessage, payloadBytes_max = NOTIFICATION_PAYLOAD_BYTES_MAX): Packed {
  const head = `{"hub":${asciiJson(hub)},"kind":${asciiJson(message.kind)}`
  if (message.kind !== 'events') {
    const payload = message.kind === 'access' ? `${head},"userId":${asciiJson(message.userId)}}` : `${head}}`
    return payload.length <= payloadBytes_max ? { payloads: [payload], refused: [] } : { payloads: [], refused: [message.kind] }
  }
  const open = `${head},"events":[`
  const close = ']}'
  const payloads: string[] = []
  const refused: string[] = []
  let batch: string[] = []
  // The size of the payload `batch` makes, counting a comma before each event, one too many.
  let size = open.length + close.length - 1
  for (const event of message.events) {
    const text = asciiJson({ type: event.type, data: event.data, audience: event.audience })
    if (open.length + text.length + close.length > payloadBytes_max) {
      refused.push(event.type)
      continue
    }
    if (batch.length > 0 && size + 1 + text.length > payloadBytes_max) {
      payloads.push(`${open}${batch.join(',')}${close}`)
      batch = []
      size = open.length + close.length - 1
    }
    batch.push(text)
    size += 1 + text.length
  }
  if (batch.length > 0) payloads.push(`${open}${batch.join(',')}${close}`)
  return { payloads, refused }
}

/** JSON with every character past ASCII escaped (\uXXXX): the same value once parsed. */
function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, char => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

const HUB_SCHEMA = { type: 'string', pattern: '^[0-9a-f]{1,64}$' }

const EVENT_SCHEMA = {
  type: 'object',
  required: ['type'],
  discriminator: { propertyName: 'type' },
  oneOf: Object.entries(LIVE_EVENT_DATA_SCHEMAS).map(([type, schema]) => ({
    required: ['type', 'data', 'audience'],
    additionalProperties: false,
    properties: { type: { const: type }, data: { $ref: schema.$id }, audience: { type: 'array', items: { type: 'string' } } },
  })),
}

const NOTIFICATION_SCHEMA = {
  type: 'object',
  required: ['hub', 'kind'],
  discriminator: { propertyName: 'kind' },
  oneOf: [
    {
      required: ['events'],
      additionalProperties: false,
      properties: { hub: HUB_SCHEMA, kind: { const: 'events' }, events: { type: 'array', minItems: 1, items: EVENT_SCHEMA } },
    },
    {
      required: ['userId'],
      additionalProperties: false,
      properties: { hub: HUB_SCHEMA, kind: { const: 'access' }, userId: { type: 'string', minLength: 1 } },
    },
    { additionalProperties: false, properties: { hub: HUB_SCHEMA, kind: { const: 'lost' } } },
  ],
}

const ajv = new Ajv({ discriminator: true, allErrors: false, coerceTypes: false, removeAdditional: false })
for (const schema of Object.values(LIVE_EVENT_DATA_SCHEMAS)) ajv.addSchema(schema)
const isNotification = ajv.compile<Notification>(NOTIFICATION_SCHEMA)

export type Reading = { readonly ok: true; readonly notification: Notification } | { readonly ok: false; readonly reason: string }

/** A notification's payload read back, or why it is refused. */
export function readNotification(payload: string, payloadBytes_max = NOTIFICATION_PAYLOAD_BYTES_MAX): Reading {
  if (Buffer.byteLength(payload) > payloadBytes_max) return { ok: false, reason: `longer than ${payloadBytes_max} bytes` }
  let parsed: unknown
  try {
    parsed = JSON.parse(payload)
  } catch (error) {
    return { ok: false, reason: `not JSON: ${error instanceof Error ? error.message : String(error)}` }
  }
  if (!isNotification(parsed)) return { ok: false, reason: ajv.errorsText(isNotification.errors) }
  return { ok: true, notification: parsed }
}
