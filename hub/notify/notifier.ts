// What a service sees of the notifications: a message written to the outbox now, delivered after the reply.
// hub/notify/plugin.ts builds the one the routes share (app.notifier).

import type { DeliveryReport } from './delivery'
import type { OutgoingMessage } from './message'

export interface Notifier {
  /** Writes the message to the outbox and returns its id; delivery happens after the reply. */
  send(message: OutgoingMessage): string
  /** Delivers what is due now; the background timer calls it, so can a test. */
  deliverDue(): Promise<DeliveryReport>
}
