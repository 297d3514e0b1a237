// The ledger's data model: accounts, immutable transfers with their postings, and the hold behind each voucher.
// Plain data only; the rules live in transfer.ts, balances.ts, fees.ts and settle.ts.

import { assert } from '../../protocol/errors'

export const ACCOUNT_KINDS = ['wallet', 'hold', 'external', 'platform'] as const
/**
 * wallet: a customer's, merchant's or owner's money. hold: money a wallet set aside for its vouchers.
 * external: per currency, the counterpart of cash-in, cash-out and banks: the only door money enters or leaves by.
 * platform: per currency, the platform's fee income.
 */
export type AccountKind = (typeof ACCOUNT_KINDS)[number]

export interface Account {
  readonly id: string
  readonly userId: string | null
  readonly kind: AccountKind
  readonly currency: string
  /** For a hold account, the wallet whose money it holds; null for every other kind. */
  readonly walletAccountId: string | null
  readonly balanceMinor: number
  readonly createdAtMs: number
}

export const TRANSFER_KINDS = [
  'cash_in', 'cash_out', 'voucher_hold', 'voucher_release', 'offline_payment', 'online_payment', 'p2p', 'refund',
  'reversal', 'double_spend_excess',
] as const
export type TransferKind = (typeof TRANSFER_KINDS)[number]

export const POSTING_ROLES = ['payer', 'payee', 'hold', 'excess', 'merchant', 'owner_share', 'platform_share'] as const
/**
 * Why a posting moves money, so reports need not guess from account kinds. Only an `excess` posting (the
 * part of a payment beyond its voucher's hold, charged to the customer) may take a wallet below zero.
 */
export type PostingRole = (typeof POSTING_ROLES)[number]

export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue }
export type Metadata = { readonly [key: string]: JsonValue }

export interface PostingInput {
  readonly accountId: string
  /** Signed: negative debits the account, positive credits it. Never zero. */
  readonly amountMinor: number
  readonly role: PostingRole
}

export interface TransferInput {
  /** 32 bytes as lowercase hex, derived by the caller from what makes the transfer unique. */
  readonly id: string
  readonly kind: TransferKind
  readonly currency: string
  /** Sum to zero. The transfer's amount is what they credit. */
  readonly postings: readonly PostingInput[]
  readonly gatewayEui?: string
  readonly voucherId?: string
  /** The fee schedule the transfer settled under, kept forever with it. */
  readonly feeScheduleId?: string
  readonly metadata?: Metadata
}

interface Posting extends PostingInput {
  readonly transferId: string
  readonly postingIndex: number
}

export interface Transfer {
  readonly id: string
  readonly kind: TransferKind
  readonly currency: string
  readonly amountMinor: number
  readonly gatewayEui: string | null
  readonly voucherId: string | null
  readonly feeScheduleId: string | null
  readonly metadata: Metadata | null
  /** Hash of the request that created the transfer: a retry with the same id must match it. */
  readonly contentSha256: string
  readonly createdAtMs: number
  readonly postings: readonly Posting[]
}

const HOLD_STATUSES = ['active', 'revoked', 'released'] as const
export type HoldStatus = (typeof HOLD_STATUSES)[number]

export interface VoucherHold {
  readonly voucherId: string
  readonly walletAccountId: string
  readonly holdAccountId: string
  readonly currency: string
  readonly limitMinor: number
  /** Paid to merchants out of the hold. */
  readonly settledMinor: number
  /** Given back to the wallet after the upload deadline. */
  readonly releasedMinor: number
  /** Charged to the wallet beyond the hold (a double spend, or a record uploaded after the release). */
  readonly excessMinor: number
  readonly expiresAtMs: number
  readonly uploadDeadlineAtMs: number
  readonly status: HoldStatus
  readonly createdAtMs: number
  readonly revokedAtMs: number | null
  readonly releasedAtMs: number | null
}

/** What is still set aside for a voucher: limit − settled − released. */
export function holdRemainingMinor(hold: VoucherHold): number {
  const remaining_minor = hold.limitMinor - hold.settledMinor - hold.releasedMinor
  assert(Number.isSafeInteger(remaining_minor) && remaining_minor >= 0,
    `hold ${hold.voucherId}: settled + released must not exceed the limit`)
  return remaining_minor
}

export interface PlaceHoldInput {
  readonly voucherId: string
  readonly walletAccountId: string
  readonly limitMinor: number
  readonly expiresAtMs: number
  /** Records may be uploaded until then; the hold is released only after it. */
  readonly uploadDeadlineAtMs: number
}

export interface SettleFromHoldInput {
  /** Deterministic id of the payment, e.g. the hash of the gateway's record. */
  readonly transferId: string
  readonly voucherId: string
  readonly amountMinor: number
  readonly merchantAccountId: string
  /** The wallet of the gateway's owner, credited the owner share of the fee. */
  readonly ownerAccountId: string
  readonly feeScheduleId: string
  readonly gatewayEui: string
  readonly metadata?: Metadata
}
