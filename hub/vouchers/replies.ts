// A customer's vouchers on the wire (GET /api/auth/device/vouchers and its revoke): the JSON schema and the
// function that builds a reply from a VoucherView, so a reply carries what the schema names and nothing more.

import { formatAmount } from '../../protocol/money'
import { VOUCHER_STATUSES, type VoucherStatus, type VoucherView } from './vouchers'

export const VOUCHER_REPLY_SCHEMA = {
  type: 'object',
  required: ['id', 'deviceId', 'imei', 'currency', 'amountMinor', 'amount', 'spentMinor', 'remainingMinor', 'remaining', 'status',
    'issuedAtMs', 'expiresAtMs', 'revokedAtMs'],
  additionalProperties: false,
  properties: {
    id: { type: 'string', description: 'the voucher id, 32 hex digits' },
    deviceId: { type: 'string' },
    imei: { type: 'string', description: 'of the device it was issued to (which may be unbound since)' },
    currency: { type: 'string' },
    amountMinor: { type: 'integer', description: 'the allowance: the most the phone may spend offline under it' },
    amount: { type: 'string', description: 'the same, decimal in major units' },
    spentMinor: {
      type: 'integer',
      description: 'what the hub has settled against the voucher so far; offline spends that no gateway has synced yet are not in it',
    },
    remainingMinor: { type: 'integer', description: 'amountMinor − spentMinor, at least 0; spendable only while the status is open' },
    remaining: { type: 'string' },
    status: {
      type: 'string', enum: [...VOUCHER_STATUSES],
      description: 'open: gateways take it; revoked; used: its whole amount is settled; expired',
    },
    issuedAtMs: { type: 'integer' },
    expiresAtMs: { type: 'integer' },
    revokedAtMs: { type: ['integer', 'null'] },
  },
} as const

export interface VoucherReply {
  id: string
  deviceId: string
  imei: string
  currency: string
  amountMinor: number
  amount: string
  spentMinor: number
  remainingMinor: number
  remaining: string
  status: VoucherStatus
  issuedAtMs: number
  expiresAtMs: number
  revokedAtMs: number | null
}

export function voucherReply(voucher: VoucherView): VoucherReply {
  const remaining_minor = Math.max(0, voucher.limitMinor - voucher.spentMinor)
  return {
    id: voucher.id,
    deviceId: voucher.deviceId,
    imei: voucher.imei,
    currency: voucher.currency,
    amountMinor: voucher.limitMinor,
    amount: formatAmount(voucher.limitMinor, voucher.currency),
    spentMinor: voucher.spentMinor,
    remainingMinor: remaining_minor,
    remaining: formatAmount(remaining_minor, voucher.currency),
    status: voucher.status,
    issuedAtMs: voucher.issuedAtMs,
    expiresAtMs: voucher.expiresAtMs,
    revokedAtMs: voucher.revokedAtMs,
  }
}
