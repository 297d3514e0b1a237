// Run by crash.test.ts as a separate process that is killed with SIGKILL at an unknown instant:
// takes offline payments in a loop and prints "approved <seq>" once each is durably recorded.

import { randomBytes } from 'node:crypto'
import { PaymentMode } from '../../protocol/messages/transfer-record'
import { TerminalStore } from '../../terminal/store/store'
import { CURRENCY, EUI, T0, phoneWithVoucher } from './fixtures'

const PAYMENTS_MAX = 100_000

const store = TerminalStore.open(process.argv[2]!)
const { phone } = phoneWithVoucher({ limitMinor: 1_000_000_000 })
process.stdout.write('ready\n')
for (let i = 0; i < PAYMENTS_MAX; i++) {
  const request = { gatewayEui: EUI, amountMinor: 100, currency: CURRENCY, nonce: new Uint8Array(randomBytes(16)), timeMs: T0, merchantName: 'Shop' }
  store.openRequest(request)
  const { voucher, authorization } = phone.authorize(request)
  const record = store.appendPayment({ authorization, voucher, mode: PaymentMode.Offline, nowMs: T0 })
  process.stdout.write(`approved ${record.gatewaySeq}\n`)
}
