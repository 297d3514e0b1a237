// The receipt of an approved payment: text for the display and the printer, and the QR payload
// a customer or an auditor scans to look the transfer up at the hub by its id.

import { toHex } from '../protocol/bytes'
import { formatMoney } from '../protocol/money'
import type { StoredRefund } from './refunds'
import type { StoredRecord } from './store/store'
import { screenText, type Language, type ScreenText } from './texts'

/** How the payment was taken, as the merchant must be told: never a silent switch. */
export type ModeNote = 'online' | 'offline' | 'offline-hub-unreachable' | 'offline-link-down'

const MODE_NOTE_TEXT: Record<ModeNote, ScreenText> = {
  online: 'online',
  offline: 'offline',
  'offline-hub-unreachable': 'offlineHubUnreachable',
  'offline-link-down': 'offlineLinkDown',
}

export function modeNoteText(note: ModeNote, language: Language): string {
  return screenText(MODE_NOTE_TEXT[note], language)
}

export interface Receipt {
  readonly transferIdHex: string
  readonly text: string
  readonly qrPayload: string
}

export interface ReceiptContext {
  readonly merchantName: string
  readonly eui: string
  readonly modeNote: ModeNote
  readonly language: Language
}

/** `payall:transfer/<id>?gw=<eui>&seq=<n>&amount=<minor>&currency=<code>`: enough to find and check it. */
function qrPayloadOf(record: StoredRecord, eui: string): string {
  const query = new URLSearchParams({
    gw: eui, seq: String(record.gatewaySeq), amount: String(record.amountMinor), currency: record.currency,
  })
  return `payall:transfer/${toHex(record.transferId)}?${query.toString()}`
}

export function receiptOf(record: StoredRecord, context: ReceiptContext): Receipt {
  const { language } = context
  const transferIdHex = toHex(record.transferId)
  const lines = [
    screenText('receipt', language),
    context.merchantName,
    `${screenText('date', language)}: ${new Date(record.timeMs).toISOString()}`,
    `${screenText('amount', language)}: ${formatMoney(record.amountMinor, record.currency)}`,
    `${screenText('mode', language)}: ${modeNoteText(context.modeNote, language)}`,
    `${screenText('terminal', language)}: ${context.eui} #${record.gatewaySeq}`,
    `${screenText('transfer', language)}:`,
    // 64 hex digits in four groups of 16, so a narrow printer keeps them readable.
    ...(transferIdHex.match(/.{16}/g) ?? [transferIdHex]),
  ]
  return { transferIdHex, text: lines.join('\n') + '\n', qrPayload: qrPayloadOf(record, context.eui) }
}

/** The refund slip: what was given back, of which payment, and the refund's id at the hub. */
export function refundReceiptOf(refund: StoredRefund, context: { merchantName: string; eui: string; language: Language; nowMs: number }): string {
  const { language } = context
  const transferIdHex = toHex(refund.transferId)
  return [
    `${screenText('refund', language)}`,
    context.merchantName,
    `${screenText('date', language)}: ${new Date(refund.answeredAtMs ?? context.nowMs).toISOString()}`,
    `${screenText('amount', language)}: -${formatMoney(refund.amountMinor, refund.currency)}`,
    `${screenText('terminal', language)}: ${context.eui}${refund.gatewaySeq === null ? '' : ` #${refund.gatewaySeq}`}`,
    `${screenText('refundOf', language)}:`,
    ...(transferIdHex.match(/.{16}/g) ?? [transferIdHex]),
    `Ref: ${toHex(refund.refundId)}`,
  ].join('\n') + '\n'
}
