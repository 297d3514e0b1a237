// What a service sees of the notifications: a message written to the outbox now, delivered after the reply.
// hub/notify/plugin.ts builds the one the routes share (app.notifier).

import type { SqlQuery } from '../store/sql'
import type { DeliveryReport } from './delivery'
import type { OutgoingMessage } from './message'

export interface Notifier {
  /** Writes the message to the outbox on its own and returns its id; delivery happens after the reply. */
  send(message: OutgoingMessage): Promise<string>
  /**
   * As send, inside `sql`, the transaction (SqlEngine.write) of what the message tells: the message is written
   * if, and only if, that commits.
   */
  sendIn(sql: SqlQuery, message: OutgoingMessage): Promise<string>
  /** Delivers what is due now; the background timer calls it, so can a test. */
  deliverDue(): Promise<DeliveryReport>
}
