// Checks a gateway's LoRa CommitmentFrame against the records that reached the hub over IP. Pure:
// the caller reads the records. A frame says "my chain ends at gatewaySeq with a head hash
// starting with headPrefix, and unsyncedCount offline payments of unsyncedAmountMinor in
// currency are not acknowledged yet". A gateway uploads its records in chain order and the hub
// acknowledges them in that order, so what is unacknowledged is the end of the chain: the last
// unsyncedCount offline records in that currency up to gatewaySeq must add up to the amount.

import { equalBytes } from '../../protocol/bytes'
import { COMMITMENT_HEAD_BYTES, type CommitmentFrame } from '../../protocol/messages/commitment-frame'
import { GENESIS_HASH } from '../../protocol/messages/transfer-record'

export const LORA_MISMATCHES = ['HEAD_MISMATCH', 'UNSYNCED_COUNT', 'UNSYNCED_AMOUNT'] as const
export type LoraMismatch = (typeof LORA_MISMATCHES)[number]

export type FrameCheck =
  /** The records up to gatewaySeq have not all arrived yet. */
  | { readonly state: 'pending' }
  | { readonly state: 'consistent' }
  | { readonly state: 'mismatch'; readonly mismatch: LoraMismatch; readonly detail: string }

export interface ChainAtHub {
  /** Every record up to this one has arrived over IP. */
  readonly contiguousSeq: number
  /** The hash of the record at the frame's gatewaySeq, if it arrived. */
  readonly hashAtSeq: Uint8Array | undefined
  /**
   * Amounts of the offline records in the frame's currency with a sequence up to gatewaySeq,
   * newest first, at most unsyncedCount + 1 of them.
   */
  readonly offlineAmountsNewestFirst: readonly number[]
}

/** What can be judged from the frame alone, before any record arrived. */
function checkFrameAlone(frame: CommitmentFrame): FrameCheck | undefined {
  if (frame.unsyncedCount > frame.gatewaySeq) {
    return mismatch('UNSYNCED_COUNT', `${frame.unsyncedCount} unsynced records in a chain of ${frame.gatewaySeq}`)
  }
  // Every payment is at least one minor unit, and no payment is no amount.
  if (frame.unsyncedAmountMinor < frame.unsyncedCount || (frame.unsyncedCount === 0 && frame.unsyncedAmountMinor > 0)) {
    return mismatch('UNSYNCED_AMOUNT', `${frame.unsyncedAmountMinor} minor units cannot be ${frame.unsyncedCount} payments`)
  }
  if (frame.gatewaySeq === 0) {
    return equalBytes(frame.headPrefix, GENESIS_HASH.subarray(0, COMMITMENT_HEAD_BYTES))
      ? { state: 'consistent' }
      : mismatch('HEAD_MISMATCH', 'an empty chain has the genesis head')
  }
  return undefined
}

export function checkFrame(frame: CommitmentFrame, chain: ChainAtHub): FrameCheck {
  const alone = checkFrameAlone(frame)
  if (alone !== undefined) return alone
  if (chain.contiguousSeq < frame.gatewaySeq || chain.hashAtSeq === undefined) return { state: 'pending' }
  if (!equalBytes(chain.hashAtSeq.subarray(0, COMMITMENT_HEAD_BYTES), frame.headPrefix)) {
    return mismatch('HEAD_MISMATCH', `the record at ${frame.gatewaySeq} does not have the head the frame announced`)
  }
  const amounts = chain.offlineAmountsNewestFirst.slice(0, frame.unsyncedCount)
  if (amounts.length < frame.unsyncedCount) {
    return mismatch('UNSYNCED_COUNT', `${frame.unsyncedCount} unsynced, but the chain holds ${amounts.length} offline ${frame.currency} records up to ${frame.gatewaySeq}`)
  }
  const total = amounts.reduce((sum, amount) => sum + amount, 0)
  if (total !== frame.unsyncedAmountMinor) {
    return mismatch('UNSYNCED_AMOUNT', `the last ${frame.unsyncedCount} offline ${frame.currency} records add up to ${total}, the frame says ${frame.unsyncedAmountMinor}`)
  }
  return { state: 'consistent' }
}

function mismatch(code: LoraMismatch, detail: string): FrameCheck {
  return { state: 'mismatch', mismatch: code, detail }
}
