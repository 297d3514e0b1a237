// GET /events: the live events a signed-in user may see, as a text/event-stream (event-streams.ts), resumable
// with Last-Event-ID; every stream ends when the app closes.

import type { OutgoingHttpHeaders } from 'node:http'
import type { FastifyPluginAsync } from 'fastify'
import type { RouteOptions } from '../http/route-services'
import { errorReplies } from '../http/errors'
import { EVENTS_KEPT_MAX } from './live-events'
import { EventStreams, KEEP_ALIVE_INTERVAL_MS, STREAM_BUFFERED_BYTES_MAX, STREAMS_PER_USER_MAX } from './event-streams'
import { LIVE_EVENT_DATA_SCHEMAS, RESET_EVENT_DATA_SCHEMA } from './model'

const BEARER_SECURITY = [{ bearerAuth: [] }]
/** Event ids are positive integers below 2^53; anything else was never sent by the hub. */
const EVENT_ID_PATTERN = '^(0|[1-9][0-9]{0,15})$'

const eventTypes = Object.entries(LIVE_EVENT_DATA_SCHEMAS)
  .map(([type, schema]) => `- \`${type}\` (data: ${schema.$id}): ${schema.description}`)
  .join('\n')

const eventsSchema = {
  summary: 'Live events the caller may see, as Server-Sent Events',
  description: [
    'A `text/event-stream` that stays open. It starts with `retry: 3000` and an `id:` line giving the newest event',
    'id. Each event is `id: <integer>`, `event: <type>`, `data: <one line of JSON>`; a `: keep-alive` comment',
    `comes every ${KEEP_ALIVE_INTERVAL_MS / 1000} s. Event types (their data schemas are in components/schemas):`,
    eventTypes,
    `- \`reset\` (data: ${RESET_EVENT_DATA_SCHEMA.$id}): the Last-Event-ID sent is older than the last ${EVENTS_KEPT_MAX}`,
    'events the hub keeps, or from before a restart: reload everything.',
    '',
    'An operator sees every event; anyone else the payments to or from their wallets and at their gateways, their',
    'gateways\' presence, their orders and their KYC reviews. Send `Last-Event-ID` to resume after the last event',
    `seen. A user holds at most ${STREAMS_PER_USER_MAX} streams: opening one more ends their oldest. A reader more`,
    `than ${STREAM_BUFFERED_BYTES_MAX} bytes behind is cut off. The stream ends when the token stops admitting the`,
    'user (suspended, sessions ended, expired) and when the hub shuts down.',
  ].join('\n'),
  tags: ['events'],
  security: BEARER_SECURITY,
  headers: {
    type: 'object',
    properties: {
      'last-event-id': { type: 'string', pattern: EVENT_ID_PATTERN, description: 'the id of the last event received' },
    },
  },
  response: {
    200: {
      description: 'The event stream',
      content: { 'text/event-stream': { schema: { type: 'string' } } },
    },
    ...errorReplies(400, 401),
  },
} as const

export const eventRoutes: FastifyPluginAsync<RouteOptions> = async (app, { context, services }) => {
  for (const schema of [...Object.values(LIVE_EVENT_DATA_SCHEMAS), RESET_EVENT_DATA_SCHEMA]) app.addSchema(schema)
  const streams = new EventStreams({
    events: services.events, clock: context.clock, log: context.log, checkAccess: claims => app.checkAccess(claims),
  })
  // Before the server stops accepting and waits for its connections: an open stream would hold it forever.
  app.addHook('preClose', async () => {
    streams.closeAll()
  })

  app.get<{ Headers: { 'last-event-id'?: string } }>('/events', { schema: eventsSchema, preValidation: [app.authenticate] },
    async (request, reply) => {
      const lastEventId = request.headers['last-event-id']
      await services.events.ready()
      // The keep-alives and the buffer bound watch the connection now; an idle timeout would cut a quiet stream.
      request.raw.socket.setTimeout(0)
      reply.hijack()
      streams.open(request.user, reply.raw, {
        lastEventId: lastEventId === undefined ? undefined : Number(lastEventId),
        headers: reply.getHeaders() as OutgoingHttpHeaders,
      })
    })
}
