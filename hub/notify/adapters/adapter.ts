// What a delivery adapter is: one call per message, resolving once the provider took it, throwing a
// DeliveryError that says whether trying again could help.

import type { OutgoingMessage } from '../message'

export interface DeliveryAdapter {
  readonly name: string
  /** Resolves with the provider's id for the message, when it gives one. */
  send(message: OutgoingMessage): Promise<{ providerId: string | null }>
  /** Lets go of connections; the adapter is not used again. */
  close(): Promise<void>
}

export class DeliveryError extends Error {
  override readonly name = 'DeliveryError'
  /** True when the provider refused the message itself (bad recipient, bad sender): retrying cannot help. */
  readonly permanent: boolean

  constructor(message: string, options: { permanent: boolean; cause?: unknown }) {
    super(message, { cause: options.cause })
    this.permanent = options.permanent
  }
}
