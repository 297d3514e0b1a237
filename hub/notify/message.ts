// What the hub tells people, as plain data: the channel and recipient, and the texts of each kind of
// message. Pure: the outbox stores these, the adapters deliver them.

import { formatMoney } from '../../protocol/money'
import { withUnprintableReplaced } from '../http/text'
import type { User } from '../users/store'

export type Channel = 'email' | 'sms'

const MESSAGE_KINDS = [
  'password_reset', 'order_placed', 'order_decided', 'payment_code', 'document_reviewed', 'phone_code', 'email_code',
] as const
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
/** What an SMS quotes of a name, in user-perceived characters; an email quotes more. */
export const SMS_QUOTE_LENGTH_MAX = 40
export const EMAIL_QUOTE_LENGTH_MAX = 120

// Scripts written right to left: text in them is isolated (U+2068 … U+2069) so that it cannot reorder the hub's
// own words around it.
const RIGHT_TO_LEFT =
  /[\p{Script=Arabic}\p{Script=Hebrew}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}\p{Script=Adlam}\p{Script=Samaritan}\p{Script=Mandaic}]/u
const DOUBLE_QUOTES = /["\u201C\u201D\u201E\u201F\u00AB\u00BB]/g
const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' })

/**
 * Text a user typed, as a message shows it: on one line, in quotes of its own that it cannot close (its double quotes
 * become single), cut to `lengthMax` characters. Whatever it holds reads as a quotation, never as the hub's words;
 * the routes refuse unprintable text, and any stored before they did is shown as U+FFFD.
 */
export function quoted(text: string, length_max: number): string {
  const line = withUnprintableReplaced(text).replace(/\s+/gu, ' ').trim().replace(DOUBLE_QUOTES, "'")
  const characters = Array.from(graphemes.segment(line), (segment) => segment.segment)
  const cut = characters.length > length_max ? `${characters.slice(0, length_max - 1).join('').trimEnd()}…` : line
  return `\u201C${RIGHT_TO_LEFT.test(cut) ? `\u2068${cut}\u2069` : cut}\u201D`
}

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
    body: `Hello ${quoted(user.fullName, EMAIL_QUOTE_LENGTH_MAX)},\n\nSomeone asked to reset the password of your PayAll account. If it was you, ` +
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
    body: `Hello ${quoted(user.fullName, EMAIL_QUOTE_LENGTH_MAX)},\n\nWe received your order ${order.id}: ${order.itemCount} gateway(s), ` +
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
    : `was rejected${reason === null ? '' : `: ${quoted(reason, EMAIL_QUOTE_LENGTH_MAX)}`}.`
  return {
    ...contactOf(user, 'email'),
    kind: 'order_decided',
    subject: `PayAll order ${order.id} ${decision}`,
    body: `Hello ${quoted(user.fullName, EMAIL_QUOTE_LENGTH_MAX)},\n\nYour order ${order.id} ${outcome}`,
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
      `${quoted(payment.payeeName, SMS_QUOTE_LENGTH_MAX)}. Valid ${payment.validMinutes} min. Never share this code.`,
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
    body: `Hello ${quoted(user.fullName, EMAIL_QUOTE_LENGTH_MAX)},\n\nYour ${document.kind.replace(/_/g, ' ')} (${document.id}) ` +
      `was ${decision}${reason === null ? '' : `: ${quoted(reason, EMAIL_QUOTE_LENGTH_MAX)}`}.`,
    sensitive: false,
    userId: user.id,
  }
}

/** The code that proves a number, sent to that number; `userId` is null for a sign-up whose account does not exist yet. */
export function phoneCodeMessage(phone: string, userId: string | null, code: string, validMinutes: number): OutgoingMessage {
  return {
    channel: 'sms',
    recipient: phone,
    kind: 'phone_code',
    subject: 'Your PayAll number code',
    body: `PayAll: ${code} proves this is your number. Valid ${validMinutes} min. Never share this code; ` +
      'if you did not ask for it, ignore this message.',
    sensitive: true,
    userId,
  }
}

/** The code that proves an email, sent to that email. */
export function emailCodeMessage(user: UserContact & { email: string }, code: string, validMinutes: number): OutgoingMessage {
  return {
    channel: 'email',
    recipient: user.email,
    kind: 'email_code',
    subject: 'Your PayAll email code',
    body: `Hello ${quoted(user.fullName, EMAIL_QUOTE_LENGTH_MAX)},\n\nPayAll: ${code} proves this is your email. Valid ${validMinutes} min. ` +
      'Never share this code; if you did not ask for it, ignore this message.',
    sensitive: true,
    userId: user.id,
  }
}
