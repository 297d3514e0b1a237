// What the hub tells people, as plain data: the channel and recipient, and the texts of each kind of
// message. Pure: the outbox stores these, the adapters deliver them.

import { formatMoney } from '../../protocol/money'
import type { User } from '../users/store'

export type Channel = 'email' | 'sms'

export const MESSAGE_KINDS = ['password_reset', 'order_placed', 'order_decided', 'payment_code', 'document_reviewed'] as const
export type MessageKind = (typeof MESSAGE_KINDS)[number]

export interface OutgoingMessage {
  readonly channel: Channel
  /** An email address or a phone number, as the channel wants it. */
  readonly recipient: string
  readonly kind: MessageKind
  /** Emails only; an SMS has none. */
  readonly subject: string
  readonly body: string
  /** The body holds a one-time secret: the outbox erases it once the message is done with. */
  readonly sensitive: boolean
  readonly userId: string | null
}

export const SUBJECT_LENGTH_MAX = 200
export const BODY_LENGTH_MAX = 4000

/** Where to reach a user: the preferred channel when they have it, else the other one. */
function contactOf(user: Pick<User, 'email' | 'phone'>, preferred: Channel): { channel: Channel; recipient: string } {
  const email = user.email === null ? undefined : { channel: 'email' as const, recipient: user.email }
  const sms = user.phone === null ? undefined : { channel: 'sms' as const, recipient: user.phone }
  const contact = preferred === 'email' ? email ?? sms : sms ?? email
  // The users table refuses a row with neither.
  if (contact === undefined) throw new Error('a user has an email or a phone')
  return contact
}

type UserContact = Pick<User, 'id' | 'email' | 'phone' | 'fullName'>

export function passwordResetMessage(user: UserContact, token: string, validMinutes: number): OutgoingMessage {
  return {
    ...contactOf(user, 'email'),
    kind: 'password_reset',
    subject: 'Reset your PayAll password',
    body: `Hello ${user.fullName},\n\nSomeone asked to reset the password of your PayAll account. If it was you, ` +
      `use this token within ${validMinutes} minutes:\n\n${token}\n\nIf it was not you, ignore this message: ` +
      'your password stays as it is.',
    sensitive: true,
    userId: user.id,
  }
}

export interface OrderSummary {
  readonly id: string
  readonly itemCount: number
  readonly totalMinor: number
  readonly currency: string
}

export function orderPlacedMessage(user: UserContact, order: OrderSummary): OutgoingMessage {
  return {
    ...contactOf(user, 'email'),
    kind: 'order_placed',
    subject: `PayAll order ${order.id} received`,
    body: `Hello ${user.fullName},\n\nWe received your order ${order.id}: ${order.itemCount} gateway(s), ` +
      `${formatMoney(order.totalMinor, order.currency)}. An operator will confirm it shortly.`,
    sensitive: false,
    userId: user.id,
  }
}

export function orderDecidedMessage(
  user: UserContact, order: OrderSummary, decision: 'validated' | 'rejected', reason: string | null,
): OutgoingMessage {
  const outcome = decision === 'validated'
    ? 'was validated: the gateways are yours, and you can follow them as their owner.'
    : `was rejected${reason === null ? '' : `: ${reason}`}.`
  return {
    ...contactOf(user, 'email'),
    kind: 'order_decided',
    subject: `PayAll order ${order.id} ${decision}`,
    body: `Hello ${user.fullName},\n\nYour order ${order.id} ${outcome}`,
    sensitive: false,
    userId: user.id,
  }
}

export function paymentCodeMessage(
  payer: UserContact, code: string, payment: { amountMinor: number; currency: string; payeeName: string; validMinutes: number },
): OutgoingMessage {
  return {
    ...contactOf(payer, 'sms'),
    kind: 'payment_code',
    subject: 'Your PayAll payment code',
    body: `PayAll: ${code} confirms your payment of ${formatMoney(payment.amountMinor, payment.currency)} to ` +
      `${payment.payeeName}. Valid ${payment.validMinutes} min. Never share this code.`,
    sensitive: true,
    userId: payer.id,
  }
}

export function documentReviewedMessage(
  user: UserContact, document: { id: string; kind: string }, decision: 'approved' | 'rejected', reason: string | null,
): OutgoingMessage {
  return {
    ...contactOf(user, 'email'),
    kind: 'document_reviewed',
    subject: `Your PayAll document was ${decision}`,
    body: `Hello ${user.fullName},\n\nYour ${document.kind.replace(/_/g, ' ')} (${document.id}) was ${decision}` +
      `${reason === null ? '' : `: ${reason}`}.`,
    sensitive: false,
    userId: user.id,
  }
}
