// A double-spend flag on the wire, as types apart from the store and the checks that build it: nothing here
// reaches Node, so the web dashboard imports them.

export const FLAG_STATUSES = ['open', 'resolved'] as const
export type FlagStatus = (typeof FLAG_STATUSES)[number]

/** same_seq: two authorizations under one voucher seq; cumulative: their running totals contradict each other. */
export type FlagKind = 'same_seq' | 'cumulative'

export interface AuthorizationEvidence {
  /** The ledger transfer that settled it; null when none did (a conflicting request refused online). */
  readonly transferId: string | null
  /** The hub's id of the gateway the authorization names; null when the hub knows no gateway of that EUI. */
  readonly gatewayId: string | null
  readonly gatewayEui: string
  /** The authorization's seq under its voucher. */
  readonly counter: number
  readonly cumulativeMinor: number
  readonly amountMinor: number
  readonly currency: string
  /** The phone's clock when it signed. */
  readonly atMs: number
  /** The bytes the phone signed, hex; with signatureHex they are the authorization as stored. */
  readonly messageHex: string
  readonly signatureHex: string
  /** Ed25519 over messageHex under payerDeviceKey, checked now. */
  readonly signatureValid: boolean
}

export interface FlagView {
  readonly id: number
  readonly kind: FlagKind
  /** The gateway whose record or request revealed the double spend (the second authorization's). */
  readonly gatewayId: string | null
  readonly voucherId: string
  readonly payerUserId: string | null
  /** Hex. */
  readonly payerDeviceKey: string | null
  readonly detectedAtMs: number
  readonly status: FlagStatus
  readonly resolvedAtMs: number | null
  readonly resolvedByUserId: string | null
  readonly resolvedByName: string | null
  readonly note: string | null
  /** The payment known first, then the one that contradicts it. */
  readonly authorizations: readonly AuthorizationEvidence[]
}
