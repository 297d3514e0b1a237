// Why a payment or a record was refused: one code list shared by the terminal's declines,
// the hub's acks and online answers, so each side can show the same reason to a person.

export const Reason = {
  None: 0,
  BadFormat: 1,
  BadHubSignature: 2,
  VoucherExpired: 3,
  VoucherRevoked: 4,
  BadCustomerSignature: 5,
  NonceMismatch: 6,
  SeqReplayed: 7,
  OverVoucherLimit: 8,
  CumulativeMismatch: 9,
  OverFloorLimit: 10,
  UnsyncedTotalExceeded: 11,
  UnsyncedCountExceeded: 12,
  UploadDeadlinePassed: 13,
  ConsecutiveOfflineExceeded: 14,
  CurrencyMismatch: 15,
  WrongGateway: 16,
  VoucherUnknown: 17,
  ChainGap: 18,
  ChainFork: 19,
  BadGatewaySignature: 20,
  InsufficientFunds: 21,
  DoubleSpend: 22,
  GatewayUnknown: 23,
  ClockSkew: 24,
  OnlineRequired: 25,
  HubUnavailable: 26,
  DeviceUnbound: 27,
  VoucherNotYetValid: 28,
  ReplayedAuthorization: 29,
  AmountMismatch: 30,
  PaymentNotFound: 31,
  RefundExceedsPayment: 32,
  RefundIdReused: 33,
  RefundFundsInsufficient: 34,
  /** Signed by a key the hub no longer takes: the gateway was provisioned again with a new key, or retired. */
  ChainClosed: 35,
  /** The gateway voided this online request, which it took no record of: it is never approved now. */
  OnlineRequestVoided: 36,
  /** The payment is in the gateway's own records: not voided (a refund gives it back). */
  PaymentRecorded: 37,
} as const
export type Reason = (typeof Reason)[keyof typeof Reason]

export const REASONS: readonly Reason[] = Object.values(Reason)

const NAMES = new Map<number, string>(Object.entries(Reason).map(([name, code]) => [code, name]))

/** A stable machine name, e.g. `VoucherExpired`, for logs, JSON and translations. */
export function reasonName(reason: Reason): string {
  return NAMES.get(reason) ?? `Reason${reason}`
}

