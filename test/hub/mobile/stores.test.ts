// The mobile API's stores on both engines: account numbers linked to one user each, within a user's cap; payments
// waiting for their code within a payer's cap, wrong codes all counted, settled once (two hubs at once included).

import t from 'tap'
import { AccountLinks } from '../../../hub/mobile/accounts'
import { MobilePayments, OPEN_PAYMENTS_PER_PAYER_MAX, type NewMobilePayment } from '../../../hub/mobile/payments'
import { engineTests } from '../helpers/engines'
import { addUserRow, secondOn, START_MS } from '../helpers/domain-engines'

const engineTest = engineTests(t)

engineTest('an account number is linked to one user, within their cap; two hubs linking it at once link it once', async (t, factory) => {
  const opened = await factory.open(t)
  const one = new AccountLinks(opened.engine)
  const two = new AccountLinks((await secondOn(t, opened)).engine)
  const [alice, bob] = [await addUserRow(opened.engine), await addUserRow(opened.engine)]
  t.equal(await one.link(alice, 'FR76 0001', 'bank', START_MS), 'linked')
  t.equal(await one.link(alice, 'FR76 0001', 'bank', START_MS + 1), 'exists')
  t.equal(await two.link(bob, 'FR76 0001', 'bank', START_MS + 2), 'taken')
  t.same(await one.byAccountNo('FR76 0001'), { accountNo: 'FR76 0001', userId: alice, kind: 'bank', linkedAtMs: START_MS })
  const raced = await Promise.all([one.link(alice, 'W-1', 'wallet', START_MS + 3), two.link(bob, 'W-1', 'wallet', START_MS + 3)])
  t.same([...raced].sort(), ['linked', 'taken'])
  const before = (await one.ofUser(bob)).length
  const many = await Promise.all(Array.from({ length: 12 }, (_, n) => (n % 2 === 0 ? one : two).link(bob, `B-${n}`, 'bank', START_MS + 10 + n)))
  t.equal(many.filter(outcome => outcome === 'linked').length, 10 - before, 'ten links a user, whichever hub links')
  t.equal((await one.ofUser(bob)).length, 10)
})

function payment(n: number, payerUserId: string, payeeUserId: string): NewMobilePayment {
  return {
    id: `pay_${payerUserId}_${n}`, payerUserId, payeeUserId, payerAccountId: `w_${payerUserId}`, payeeAccountId: `w_${payeeUserId}`,
    currency: 'XOF', amountMinor: 500, codeSha256: 'cd'.repeat(32), createdAtMs: START_MS, expiresAtMs: START_MS + 300_000,
  }
}

engineTest('payments waiting within the payer\'s cap, wrong codes counted to the cancellation, settled once', async (t, factory) => {
  const opened = await factory.open(t)
  const one = new MobilePayments(opened.engine)
  const two = new MobilePayments((await secondOn(t, opened)).engine)
  const [payer, payee] = [await addUserRow(opened.engine), await addUserRow(opened.engine)]
  const stored = await Promise.all(Array.from({ length: 8 }, (_, n) => (n % 2 === 0 ? one : two).insert(payment(n, payer, payee))))
  t.equal(stored.filter(Boolean).length, OPEN_PAYMENTS_PER_PAYER_MAX, 'the cap holds, whichever hub stores')
  t.equal(await one.openCount(payer, START_MS), OPEN_PAYMENTS_PER_PAYER_MAX)
  const waiting = (await Promise.all(Array.from({ length: 8 }, (_, n) => one.byId(`pay_${payer}_${n}`)))).filter(p => p !== undefined)
  const [guessed, settled] = waiting as [NonNullable<typeof waiting[0]>, NonNullable<typeof waiting[0]>]
  const guesses = await Promise.all([1, 2, 3, 4].map(n => (n % 2 === 0 ? one : two).recordWrongCode(guessed.id, 3, START_MS + n)))
  t.same(guesses.map(g => g?.wrongCodes ?? null).sort(), [1, 2, 3, null], 'every guess counted, the third cancels, the fourth finds it closed')
  t.same(guesses.filter(g => g?.status === 'cancelled').length, 1)
  t.same((await one.byId(guessed.id))?.status, 'cancelled')
  await Promise.all([one.markSettled(settled.id, 'ee'.repeat(32), START_MS + 5), two.markSettled(settled.id, 'ff'.repeat(32), START_MS + 6)])
  const done = await one.byId(settled.id)
  t.equal(done?.status, 'settled')
  t.ok(done?.transferId === 'ee'.repeat(32) || done?.transferId === 'ff'.repeat(32), 'settled once, by one of them')
  t.equal(await two.openCount(payer, START_MS), OPEN_PAYMENTS_PER_PAYER_MAX - 2)
})
