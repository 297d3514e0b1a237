// A bulk chunk is all or nothing: every item is checked by the code that writes it, inside the chunk's transaction,
// and one refused item rolls the whole chunk back. The refusal names every item at fault, so an operator fixes a
// file in one go.

import { CodedError, isProtocolError } from '../../protocol/errors'
import { HttpError } from '../http/errors'
import { isLedgerError } from '../ledger/errors'

/** Items one bulk request may carry: a chunk is one transaction, kept short. */
export const BULK_ITEMS_MAX = 1_000

export interface ItemRefusal {
  /** The item's place in the request's `items`, from 0. */
  readonly index: number
  /** What the single-item route would answer (EMAIL_TAKEN, BAD_EUI, …). */
  readonly code: string
  readonly message: string
}

/** Thrown inside a chunk's transaction to roll it back; the route answers 422 with `items`. */
export class BulkRefusal extends CodedError<'BULK_ITEMS_REFUSED'> {
  override readonly name = 'BulkRefusal'

  constructor(readonly items: readonly ItemRefusal[], total: number) {
    super('BULK_ITEMS_REFUSED', `${items.length} of ${total} items refused; nothing was written`)
  }
}

/** Collects the refusals of a chunk's items; `check` runs one item and keeps its typed refusal, if any. */
export class ItemRefusals {
  private readonly refused: ItemRefusal[] = []

  /** Runs `work` for item `index`; a typed refusal (HTTP, protocol or ledger) is noted and undefined returned, anything else thrown. */
  check<T>(index: number, work: () => T): T | undefined {
    try {
      return work()
    } catch (error) {
      if (error instanceof HttpError || isProtocolError(error) || isLedgerError(error)) {
        this.refuse(index, error.code, error.message)
        return undefined
      }
      throw error
    }
  }

  /** As `check`, for work that awaits (the statements of a SqlEngine transaction). */
  async checkAsync<T>(index: number, work: () => Promise<T>): Promise<T | undefined> {
    try {
      return await work()
    } catch (error) {
      if (error instanceof HttpError || isProtocolError(error) || isLedgerError(error)) {
        this.refuse(index, error.code, error.message)
        return undefined
      }
      throw error
    }
  }

  refuse(index: number, code: string, message: string): void {
    this.refused.push({ index, code, message })
  }

  /** Throws a BulkRefusal naming every refused item, in item order, when there is one. */
  throwIfAny(total: number): void {
    if (this.refused.length > 0) throw new BulkRefusal([...this.refused].sort((a, b) => a.index - b.index), total)
  }
}
