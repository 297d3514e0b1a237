// What a delivery adapter is: one call per message, resolving once the provider took it, throwing a
// DeliveryError that says whether trying again could help.

import { CodedError } from '../../../protocol/errors'
import type { OutgoingMessage } from '../message'

export interface DeliveryAdapter {
  readonly name: string
  /** Resolves with the provider's id for the message, when it gives one. */
  send(message: OutgoingMessage): Promise<{ providerId: string | null }>
  /** Lets go of connections; the adapter is not used again. */
  close(): Promise<void>
}

export type DeliveryErrorCode =
  /** The provider refused the message itself (bad recipient, bad sender): retrying cannot help. */
  | 'DELIVERY_REFUSED'
  /** The provider could not be reached or failed for now: worth trying again. */
  | 'DELIVERY_FAILED'

export class DeliveryError extends CodedError<DeliveryErrorCode> {
  override readonly name = 'DeliveryError'
  /** True when the provider refused the message itself (DELIVERY_REFUSED). */
  readonly permanent: boolean

  constructor(message: string, options: { permanent: boolean; cause?: unknown }) {
    super(options.permanent ? 'DELIVERY_REFUSED' : 'DELIVERY_FAILED', message, { cause: options.cause })
    this.permanent = options.permanent
  }
}
