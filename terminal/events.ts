// The events an app (a dashboard, a LED, a logger) hooks into, on one typed emitter shared by
// the payment flow and the sync. Listeners cannot break the money path: their errors are contained.

import { EventEmitter } from 'node:events'
import type { Reason } from '../protocol/reasons'
import type { AckApplied, ModeName } from './store/store'

export interface TerminalEvents {
  /** The link to the hub went up or down. */
  link: [{ online: boolean; atMs: number }]
  /** A batch of records was handed to the broker (QoS 1). */
  'records-forwarded': [{ fromSeq: number; toSeq: number; count: number }]
  /** A signed ack of this gateway was applied. */
  'records-acked': [{ headSeq: number } & AckApplied]
  /** Something stopped a sync round or a message from the hub was refused. */
  'sync-error': [{ code: string; message: string }]
  /** An offline payment was refused because a risk limit is reached (the merchant should connect). */
  'limit-reached': [{ reason: Reason }]
  'payment-approved': [{ gatewaySeq: number; transferIdHex: string; amountMinor: number; currency: string; mode: ModeName }]
  'payment-declined': [{ reason: Reason; amountMinor: number; currency: string }]
  'refund-approved': [{ refundIdHex: string; transferIdHex: string; amountMinor: number; currency: string }]
  'refund-declined': [{ reason: Reason; amountMinor: number; currency: string }]
  /** A refund got no answer: it stays pending and must be sent again (it is never made twice). */
  'refund-unconfirmed': [{ refundIdHex: string; amountMinor: number; currency: string }]
  /** An online request got no answer and the payment was not recorded: its void is on file, to send until answered. */
  'online-void-pending': [{ transferIdHex: string; amountMinor: number; currency: string }]
  /** The hub answered a void: `voided` (with what went back to the customer), or refused and why. */
  'online-void-answered': [{ transferIdHex: string; voided: boolean; reason: Reason; reversedMinor: number }]
  /** A receipt was not printed (no paper, cover open, …): the payment or refund it belongs to stands. */
  'printer-error': [{ code: string; message: string }]
  'risk-config': [{ serial: number }]
  /** The hub published a new update key: the key update bundles must now be signed with. */
  'update-key': [{ serial: number }]
  /** The revoked vouchers reached a new serial of the hub's list (a delta, or a whole list); count: how many are refused. */
  revocations: [{ serial: number; count: number }]
  /** A CommitmentFrame went out over LoRa (the IP link being down). */
  'lora-report': [{ gatewaySeq: number; unsyncedCount: number; unsyncedAmountMinor: number }]
  /** Vouchers a hub-signed LoRa downlink named (what delta `serial` added, or a chunk of the whole list) were added to the revoked ones. */
  'lora-revocations': [{ kind: 'added' | 'listed'; serial: number; index: number; count: number }]
  /** Verified Merkle proofs of this gateway's records were kept (some may have been kept before). */
  'proofs-kept': [{ batchId: number; stored: number; alreadyKept: number }]
  /** Records acked and proved, or rejected, and past the retention window were deleted, with their proofs. */
  'records-pruned': [{ count: number; throughSeq: number }]
}

export class TerminalEmitter {
  private readonly emitter = new EventEmitter()

  on<K extends keyof TerminalEvents>(event: K, listener: (...args: TerminalEvents[K]) => void): this {
    this.emitter.on(event, listener as (...args: unknown[]) => void)
    return this
  }

  off<K extends keyof TerminalEvents>(event: K, listener: (...args: TerminalEvents[K]) => void): this {
    this.emitter.off(event, listener as (...args: unknown[]) => void)
    return this
  }

  once<K extends keyof TerminalEvents>(event: K, listener: (...args: TerminalEvents[K]) => void): this {
    this.emitter.once(event, listener as (...args: unknown[]) => void)
    return this
  }

  /** Resolves with the next event of this kind that satisfies `matches`. */
  next<K extends keyof TerminalEvents>(event: K, matches: (...args: TerminalEvents[K]) => boolean = () => true): Promise<TerminalEvents[K]> {
    return new Promise(resolve => {
      const listener = (...args: TerminalEvents[K]): void => {
        if (!matches(...args)) return
        this.off(event, listener)
        resolve(args)
      }
      this.on(event, listener)
    })
  }

  emit<K extends keyof TerminalEvents>(event: K, ...args: TerminalEvents[K]): void {
    // rawListeners: a once() wrapper removes itself when called.
    for (const listener of this.emitter.rawListeners(event)) {
      try {
        (listener as (...a: TerminalEvents[K]) => void)(...args)
      } catch {
        // An app's listener failing must not undo or block a payment or a sync.
      }
    }
  }
}
