// How the hub names the wallets of its users: one wallet per user and currency, so the owner
// share of a fee and a customer's voucher hold always find the same account.

export function walletAccountId(userId: string, currency: string): string {
  return `${userId}.${currency}`
}
