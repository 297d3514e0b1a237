// The postings of each kind of money movement, as pure functions over account ids and amounts.
// Every builder asserts that its postings sum to zero and leaves out zero postings.

import { assert } from '../../protocol/errors'
import { assertAmountMinor } from '../../protocol/money'
import type { FeeSplit } from './fees'
import type { PostingInput, PostingRole } from './model'
import { assertBalanced } from './transfer'

export interface SettlementInput {
  readonly amountMinor: number
  readonly holdAccountId: string
  /** What is left of the voucher's hold before this payment. */
  readonly holdRemainingMinor: number
  readonly customerAccountId: string
  readonly merchantAccountId: string
  readonly ownerAccountId: string
  readonly platformAccountId: string
  readonly fee: FeeSplit
}

export interface HoldSplit {
  readonly fromHoldMinor: number
  /** Beyond the hold: charged to the customer's wallet, which may go negative as recorded debt. */
  readonly excessMinor: number
}

export function splitAgainstHold(amount_minor: number, holdRemaining_minor: number): HoldSplit {
  assertAmountMinor(amount_minor, { allowZero: false })
  assertAmountMinor(holdRemaining_minor)
  const fromHold_minor = Math.min(amount_minor, holdRemaining_minor)
  return { fromHoldMinor: fromHold_minor, excessMinor: amount_minor - fromHold_minor }
}

/**
 * An offline payment: the hold pays first (−min(amount, remaining)), the customer's wallet the excess;
 * the merchant gets amount − fee, the gateway owner and the platform share the fee.
 */
export function settlementPostings(input: SettlementInput): PostingInput[] {
  const { fromHoldMinor, excessMinor } = splitAgainstHold(input.amountMinor, input.holdRemainingMinor)
  assertFeeSplit(input.amountMinor, input.fee)
  return build([
    [input.holdAccountId, -fromHoldMinor, 'hold'],
    [input.customerAccountId, -excessMinor, 'excess'],
    ...feeCredits(input),
  ])
}

export interface PaymentInput {
  readonly amountMinor: number
  readonly customerAccountId: string
  readonly merchantAccountId: string
  readonly ownerAccountId: string
  readonly platformAccountId: string
  readonly fee: FeeSplit
}

/** An online payment with a fee: the customer's wallet pays the amount, split as in an offline payment. */
export function paymentPostings(input: PaymentInput): PostingInput[] {
  assertAmountMinor(input.amountMinor, { allowZero: false })
  assertFeeSplit(input.amountMinor, input.fee)
  return build([[input.customerAccountId, -input.amountMinor, 'payer'], ...feeCredits(input)])
}

/** Cash (or a bank) comes in through the currency's external account. */
export function cashInPostings(input: { externalAccountId: string; walletAccountId: string; amountMinor: number }): PostingInput[] {
  return walletTransferPostings({
    payerAccountId: input.externalAccountId, payeeAccountId: input.walletAccountId, amountMinor: input.amountMinor,
  })
}

export function cashOutPostings(input: { walletAccountId: string; externalAccountId: string; amountMinor: number }): PostingInput[] {
  return walletTransferPostings({
    payerAccountId: input.walletAccountId, payeeAccountId: input.externalAccountId, amountMinor: input.amountMinor,
  })
}

/** One account pays another without a fee: P2P, or an online payment under a zero-fee policy. */
export function walletTransferPostings(input: { payerAccountId: string; payeeAccountId: string; amountMinor: number }): PostingInput[] {
  assertAmountMinor(input.amountMinor, { allowZero: false })
  assert(input.payerAccountId !== input.payeeAccountId, 'an account does not pay itself')
  return build([[input.payerAccountId, -input.amountMinor, 'payer'], [input.payeeAccountId, input.amountMinor, 'payee']])
}

/** The merchant gives money back to the customer; the fee already taken stays where it went. */
export function refundPostings(input: { merchantAccountId: string; customerAccountId: string; amountMinor: number }): PostingInput[] {
  return walletTransferPostings({
    payerAccountId: input.merchantAccountId, payeeAccountId: input.customerAccountId, amountMinor: input.amountMinor,
  })
}

/** Issuing a voucher sets its limit aside from the wallet. */
export function holdPlacementPostings(input: { walletAccountId: string; holdAccountId: string; limitMinor: number }): PostingInput[] {
  assertAmountMinor(input.limitMinor, { allowZero: false })
  return build([[input.walletAccountId, -input.limitMinor, 'payer'], [input.holdAccountId, input.limitMinor, 'hold']])
}

/** After the upload deadline, what is left of the hold goes back to the wallet. */
export function holdReleasePostings(input: { holdAccountId: string; walletAccountId: string; remainingMinor: number }): PostingInput[] {
  assertAmountMinor(input.remainingMinor, { allowZero: false })
  return build([[input.holdAccountId, -input.remainingMinor, 'hold'], [input.walletAccountId, input.remainingMinor, 'payee']])
}

function feeCredits(input: {
  merchantAccountId: string; ownerAccountId: string; platformAccountId: string; fee: FeeSplit
}): Array<[string, number, PostingRole]> {
  return [
    [input.merchantAccountId, input.fee.merchantMinor, 'merchant'],
    [input.ownerAccountId, input.fee.ownerShareMinor, 'owner_share'],
    [input.platformAccountId, input.fee.platformShareMinor, 'platform_share'],
  ]
}

function assertFeeSplit(amount_minor: number, fee: FeeSplit): void {
  assert(fee.merchantMinor >= 0 && fee.ownerShareMinor >= 0 && fee.platformShareMinor >= 0,
    'no part of a fee split is negative')
  assert(fee.ownerShareMinor + fee.platformShareMinor === fee.feeMinor, 'owner and platform shares make the fee')
  assert(fee.merchantMinor + fee.feeMinor === amount_minor, 'the fee split is of this amount')
}

function build(entries: ReadonlyArray<readonly [string, number, PostingRole]>): PostingInput[] {
  const postings: PostingInput[] = []
  for (const [accountId, amount_minor, role] of entries) {
    if (amount_minor !== 0) postings.push({ accountId, amountMinor: amount_minor, role })
  }
  assertBalanced(postings)
  assert(postings.length >= 2, 'money moves between at least two accounts')
  return postings
}
