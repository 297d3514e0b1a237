// The English strings of the customer's pages: wallets, payments, devices and vouchers, sending money, KYC, profile.

export const customer = {
  paymentStatus: { completed: 'Completed', awaiting_confirmation: 'Awaiting confirmation', cancelled: 'Cancelled', expired: 'Expired' },
  wallets: {
    title: 'My wallets',
    balance: 'Balance',
    available: 'Available',
    held: 'Held for vouchers',
    recent: 'Recent payments',
    recentLive: 'New payments appear here as they settle.',
    counterparty: 'With',
    direction: 'Direction',
    sent: 'Sent',
    received: 'Received',
    noWallets: 'You have no wallet yet.',
  },
}

export type CustomerMessages = typeof customer
