// The default adapter: a message is "delivered" by printing it to the hub's log, which is what a
// developer or a hub without a mail or SMS provider needs.

import type { FastifyBaseLogger } from 'fastify'
import type { DeliveryAdapter } from './adapter'

export function consoleAdapter(log: FastifyBaseLogger): DeliveryAdapter {
  return {
    name: 'console',
    async send(message) {
      log.info({
        notification: { channel: message.channel, to: message.recipient, kind: message.kind, subject: message.subject, body: message.body },
      }, 'notification (console adapter)')
      return { providerId: null }
    },
    async close() {},
  }
}
