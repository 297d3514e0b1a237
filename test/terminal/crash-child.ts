// Run by crash.test.ts as a separate process that is killed with SIGKILL: takes offline payments in a
// loop and prints "approved <seq>" once each is durably recorded. Checkpoints run every few pages, so
// kills land in them too. With a sequence number as its second argument, it kills itself inside the
// transaction that appends that record, after the record's row is written and before the commit.

import { randomBytes } from 'node:crypto'
import { PaymentMode } from '../../protocol/messages/transfer-record'
import { TerminalStore } from '../../terminal/store/store'
import { CURRENCY, EUI, T0, phoneWithVoucher } from './fixtures'

const PAYMENTS_MAX = 100_000
/** WAL pages between checkpoints (SQLite's default is 1,000): a checkpoint every few payments. */
const CHECKPOINT_PAGES = 8

const store = TerminalStore.open(process.argv[2]!)
store.db.pragma(`wal_autocheckpoint = ${CHECKPOINT_PAGES}`)
const dieInsideSeq = Number(process.argv[3] ?? 0)
if (dieInsideSeq > 0) {
  store.db.function('die_now', () => process.kill(process.pid, 'SIGKILL'))
  store.db.exec(`CREATE TEMP TRIGGER die_inside AFTER INSERT ON main.records WHEN NEW.gateway_seq = ${dieInsideSeq}
    BEGIN SELECT die_now(); END`)
}
const { phone } = phoneWithVoucher({ limitMinor: 1_000_000_000 })
process.stdout.write(`ready ${store.chainHead().gatewaySeq}\n`)
for (let i = 0; i < PAYMENTS_MAX; i++) {
  const request = { gatewayEui: EUI, amountMinor: 100, currency: CURRENCY, nonce: new Uint8Array(randomBytes(16)), timeMs: T0, merchantName: 'Shop' }
  store.openRequest(request)
  const { voucher, authorization } = phone.authorize(request)
  const record = store.appendPayment({ authorization, voucher, mode: PaymentMode.Offline, nowMs: T0 })
  process.stdout.write(`approved ${record.gatewaySeq}\n`)
}
