// The shape rules of a transfer, checked before any storage is touched: ids, kinds, bounded postings that
// sum to zero, optional links (gateway, voucher, fee schedule) and metadata. Pure.

import { isEui } from '../../protocol/eui'
import { assert } from '../../protocol/errors'
import { isCurrencyCode } from '../../protocol/money'
import { METADATA_LENGTH_MAX_CHARS, canonicalJson, contentSha256 } from './content'
import { LedgerError } from './errors'
import { isIdentifier, isTransferId } from './ids'
import { POSTING_ROLES, TRANSFER_KINDS, type PostingInput, type TransferInput, type TransferKind } from './model'

/** Most transfers (or settlements) in one batch call: one transaction, bounded. */
export const TRANSFERS_PER_BATCH_MAX = 8_192

/** A payment settles to at most hold, excess, merchant, owner and platform; room to spare, but bounded. */
export const POSTINGS_PER_TRANSFER_MAX = 16

/** The kinds that may carry an `excess` posting, the only way a wallet goes into debt. */
const DEBT_KINDS: readonly TransferKind[] = ['offline_payment', 'double_spend_excess']

/** Returns why the transfer is malformed, or undefined when its shape is sound. */
export function transferInputProblem(input: TransferInput): LedgerError | undefined {
  if (typeof input !== 'object' || input === null) return invalid('a transfer must be an object')
  if (!isTransferId(input.id)) return invalid('a transfer id is 32 bytes of lowercase hex')
  if (!TRANSFER_KINDS.includes(input.kind)) return invalid(`unknown transfer kind ${JSON.stringify(input.kind)}`)
  if (!isCurrencyCode(input.currency)) return invalid(`unknown currency ${JSON.stringify(input.currency)}`)
  if (input.gatewayEui !== undefined && !isEui(input.gatewayEui)) return invalid('a gateway EUI is 16 uppercase hex digits')
  if (input.voucherId !== undefined && !isIdentifier(input.voucherId)) return invalid('bad voucher id')
  if (input.feeScheduleId !== undefined && !isIdentifier(input.feeScheduleId)) return invalid('bad fee schedule id')
  if (input.metadata !== undefined) {
    if (typeof input.metadata !== 'object' || input.metadata === null || Array.isArray(input.metadata)) {
      return invalid('metadata must be a JSON object')
    }
    let text: string
    try {
      text = canonicalJson(input.metadata)
    } catch (error) {
      return error instanceof LedgerError ? error : invalid('metadata is not JSON')
    }
    if (text.length > METADATA_LENGTH_MAX_CHARS) return invalid(`metadata exceeds ${METADATA_LENGTH_MAX_CHARS} characters`)
  }
  const problem = postingsProblem(input.postings)
  if (problem !== undefined) return problem
  if (!DEBT_KINDS.includes(input.kind) && input.postings.some((posting) => posting.role === 'excess')) {
    return invalid(`only ${DEBT_KINDS.join(' and ')} transfers charge an excess`)
  }
  return undefined
}

function postingsProblem(postings: readonly PostingInput[]): LedgerError | undefined {
  if (!Array.isArray(postings)) return invalid('postings must be an array')
  if (postings.length < 2 || postings.length > POSTINGS_PER_TRANSFER_MAX) {
    return invalid(`a transfer has 2..${POSTINGS_PER_TRANSFER_MAX} postings, got ${postings.length}`)
  }
  let sum_minor = 0n
  for (const posting of postings) {
    if (typeof posting !== 'object' || posting === null) return invalid('a posting must be an object')
    if (!isIdentifier(posting.accountId)) return invalid(`bad account id ${JSON.stringify(posting.accountId)}`)
    if (!Number.isSafeInteger(posting.amountMinor) || posting.amountMinor === 0) {
      return invalid('a posting amount is a non-zero safe integer of minor units')
    }
    if (!POSTING_ROLES.includes(posting.role)) return invalid(`unknown posting role ${JSON.stringify(posting.role)}`)
    if (posting.role === 'excess' && posting.amountMinor > 0) return invalid('an excess posting debits the customer')
    sum_minor += BigInt(posting.amountMinor)
  }
  if (sum_minor !== 0n) return new LedgerError('UNBALANCED_TRANSFER', `postings sum to ${sum_minor}, not zero`)
  const amount_minor = creditsOf(postings)
  if (amount_minor > BigInt(Number.MAX_SAFE_INTEGER)) return invalid('the transfer moves more than the largest exact amount')
  return undefined
}

/** The amount a transfer moves: the sum of its credits (equal to the sum of its debits). */
export function transferAmountMinor(postings: readonly PostingInput[]): number {
  const amount_minor = creditsOf(postings)
  assert(amount_minor > 0n && amount_minor <= BigInt(Number.MAX_SAFE_INTEGER), 'a transfer moves a positive exact amount')
  return Number(amount_minor)
}

/** Invariant kept on in production: the postings about to be written sum to zero. */
export function assertBalanced(postings: readonly PostingInput[]): void {
  let sum_minor = 0n
  for (const posting of postings) sum_minor += BigInt(posting.amountMinor)
  assert(sum_minor === 0n, `postings must sum to zero, got ${sum_minor}`)
}

/** What a retry of a plain transfer must repeat exactly. */
export function transferRequestSha256(input: TransferInput): string {
  return contentSha256({
    operation: 'transfer',
    kind: input.kind,
    currency: input.currency,
    postings: input.postings.map((posting) => ({
      accountId: posting.accountId, amountMinor: posting.amountMinor, role: posting.role,
    })),
    gatewayEui: input.gatewayEui ?? null,
    voucherId: input.voucherId ?? null,
    feeScheduleId: input.feeScheduleId ?? null,
    metadata: input.metadata ?? null,
  })
}

function creditsOf(postings: readonly PostingInput[]): bigint {
  let credits_minor = 0n
  for (const posting of postings) if (posting.amountMinor > 0) credits_minor += BigInt(posting.amountMinor)
  return credits_minor
}

function invalid(message: string): LedgerError {
  return new LedgerError('INVALID_TRANSFER', message)
}
