import t from 'tap'
import type { HubConfig } from '../../../hub/config'
import { DEFAULT_VOUCHER_POLICY, judgeIssuance, type IssuanceCounts } from '../../../hub/vouchers/policy'
import { EXPIRY_BATCH_WAIT_MS } from '../../../hub/vouchers/revocations'
import { errorOf, testHub, type TestHub } from '../http/fixtures'
import { customerOf } from '../helpers/vouchers'
import { HOUR_MS } from '../../../protocol/clock'

async function hubWith(t: Parameters<typeof testHub>[0], config: Partial<HubConfig> = {}) {
  return testHub(t, { config })
}

const vouchersHeld = (hub: TestHub): number => (hub.context.db.prepare('SELECT count(*) AS n FROM vouchers').get() as { n: number }).n

t.test('the attack: a customer trying to issue 4,097 tiny vouchers is stopped by the caps, with typed refusals', async t => {
  const hub = await hubWith(t)
  const attacker = await customerOf(hub, 'mallory@phone.example', 4_100)
  const refusals = new Map<string, number>()
  const refused = (code: string) => refusals.set(code, (refusals.get(code) ?? 0) + 1)

  let imei = await attacker.bind()
  const oneFranc = await attacker.issue(imei, '1')
  t.equal(oneFranc.statusCode, 400)
  t.equal(errorOf(oneFranc).code, 'ALLOWANCE_TOO_SMALL', 'a one-franc voucher is refused')

  // Then the cheapest voucher the hub issues, over and over, binding a fresh phone (and unbinding
  // the old one, which revokes its vouchers) whenever the hub says no: the loop of the attack.
  let issued = 0
  for (let attempt = 0; attempt < 4_097 && refusals.size < 4; attempt++) {
    const answer = await attacker.issue(imei, String(DEFAULT_VOUCHER_POLICY.limitMin_minor))
    if (answer.statusCode === 201) {
      issued++
      continue
    }
    const { code } = errorOf(answer)
    refused(code)
    if (code !== 'TOO_MANY_OPEN_VOUCHERS') break
    t.equal(answer.statusCode, 409)
    t.equal((await attacker.unbind(imei)).statusCode, 200, 'unbinding, which revokes, is never refused')
    imei = await attacker.bind()
  }
  t.ok(issued <= DEFAULT_VOUCHER_POLICY.issuedPerWindowMax, `${issued} vouchers issued in the window, not thousands`)
  t.ok(refusals.has('TOO_MANY_OPEN_VOUCHERS'), 'open vouchers are capped per device')
  t.ok(refusals.has('VOUCHER_RATE_LIMITED') || refusals.has('REVOCATION_RATE_LIMITED'), 'and the loop runs into a rate')
  t.equal(vouchersHeld(hub), issued, 'a refused voucher leaves no row')
  t.equal((await hub.context.ledger.account(attacker.wallet))!.balanceMinor, 4_100 - issued * DEFAULT_VOUCHER_POLICY.limitMin_minor,
    'a refusal moves no money')
})

t.test('open vouchers are capped per device and per customer; revocations per rolling window', async t => {
  const hub = await hubWith(t, {
    vouchersOpenPerDeviceMax: 2, vouchersOpenPerCustomerMax: 3, voucherRevocationsPerWindowMax: 2, voucherWindow_ms: 6 * HOUR_MS,
  })
  const customer = await customerOf(hub, 'awa@phone.example', 100_000)
  const phone = await customer.bind()
  const card = await customer.bind()
  for (const amount of ['1000', '1000']) t.equal((await customer.issue(phone, amount)).statusCode, 201)
  const third = await customer.issue(phone, '1000')
  t.same([third.statusCode, errorOf(third).code], [409, 'TOO_MANY_OPEN_VOUCHERS'])
  t.match(errorOf(third).message, /this device already holds 2 unexpired vouchers/)
  t.equal((await customer.issue(card, '1000')).statusCode, 201)
  const fourth = await customer.issue(card, '1000')
  t.same([fourth.statusCode, errorOf(fourth).code], [409, 'TOO_MANY_OPEN_VOUCHERS'])
  t.match(errorOf(fourth).message, /your devices already hold 3/)

  // Unbinding frees the open slots, but the revocations count: two of them, and no new voucher.
  t.same((await customer.unbind(phone)).json(), { imei: phone, revokedVouchers: 2 })
  const next = await customer.bind()
  const afterRevocations = await customer.issue(next, '1000')
  t.same([afterRevocations.statusCode, errorOf(afterRevocations).code], [429, 'REVOCATION_RATE_LIMITED'])
  t.match(errorOf(afterRevocations).message, /2 of your vouchers were revoked in the last 6 h/)

  hub.clock.advance(6 * HOUR_MS + 1)
  t.equal((await customer.issue(next, '1000')).statusCode, 201, 'once the window has passed, the revocations no longer count')
})

t.test('vouchers issued to a customer are capped per rolling window', async t => {
  const hub = await hubWith(t, {
    vouchersOpenPerDeviceMax: 10, vouchersOpenPerCustomerMax: 10, vouchersIssuedPerWindowMax: 5, voucherWindow_ms: 6 * HOUR_MS,
  })
  const customer = await customerOf(hub, 'binta@phone.example', 100_000)
  const phone = await customer.bind()
  for (let i = 0; i < 5; i++) {
    t.equal((await customer.issue(phone, '1000')).statusCode, 201)
    hub.clock.advance(HOUR_MS)
  }
  const rate = await customer.issue(phone, '1000')
  t.same([rate.statusCode, errorOf(rate).code], [429, 'VOUCHER_RATE_LIMITED'], 'five issued within six hours')
  t.match(errorOf(rate).message, /5 vouchers in the last 6 h/)
  hub.clock.advance(HOUR_MS + 1)
  t.equal((await customer.issue(phone, '1000')).statusCode, 201, 'the first of the five has left the window')
})

t.test('past the global bound the hub stops issuing, logged; revoking still works; issuance resumes once they expire', async t => {
  const hub = await hubWith(t, { revocableVouchersMax: 2 })
  const customers = [await customerOf(hub, 'a@phone.example', 50_000), await customerOf(hub, 'b@phone.example', 50_000)]
  const phones = [await customers[0]!.bind(), await customers[1]!.bind()]
  t.equal((await customers[0]!.issue(phones[0]!, '1000')).statusCode, 201)
  t.equal((await customers[0]!.issue(phones[0]!, '1000')).statusCode, 201)
  const suspended = await customers[1]!.issue(phones[1]!, '1000')
  t.same([suspended.statusCode, errorOf(suspended).code], [503, 'ISSUANCE_SUSPENDED'])
  t.ok(hub.log.lines.some(line => line.level === 40 && /revocation list may have to hold are at their bound/.test(String(line.msg))), 'logged')
  t.equal(vouchersHeld(hub), 2)

  t.same((await customers[0]!.unbind(phones[0]!)).json(), { imei: phones[0], revokedVouchers: 2 }, 'revoking is never refused')
  const stillSuspended = await customers[1]!.issue(phones[1]!, '1000')
  t.equal(errorOf(stillSuspended).code, 'ISSUANCE_SUSPENDED', 'revoked vouchers stay counted: they stay listed')

  // Vouchers last 72 h and stay listed 24 h past that, until the sweep takes them off.
  hub.clock.advance(DEFAULT_VOUCHER_POLICY.validity_ms + DEFAULT_VOUCHER_POLICY.listedAfterExpiry_ms + 1)
  t.equal(errorOf(await customers[1]!.issue(phones[1]!, '1000')).code, 'ISSUANCE_SUSPENDED', 'still listed: still counted')
  hub.clock.advance(EXPIRY_BATCH_WAIT_MS)
  t.equal(await hub.services.revocations.expire(), 2, 'the sweep takes the two revoked vouchers off the list')
  t.equal((await customers[1]!.issue(phones[1]!, '1000')).statusCode, 201, 'issuance resumes once they have expired past the grace')
})

t.test('judgeIssuance names the first cap a voucher would pass', async t => {
  const none: IssuanceCounts = { openOfDevice: 0, openOfCustomer: 0, issuedInWindow: 0, revokedInWindow: 0, revocable: 0 }
  const p = DEFAULT_VOUCHER_POLICY
  const codeOf = (limit_minor: number, counts: Partial<IssuanceCounts>) => judgeIssuance(limit_minor, { ...none, ...counts }, p)?.code
  t.equal(codeOf(p.limitMin_minor, {}), undefined)
  t.equal(codeOf(p.limitMax_minor + 1, {}), 'BAD_REQUEST')
  t.equal(codeOf(p.limitMin_minor - 1, {}), 'ALLOWANCE_TOO_SMALL')
  t.equal(codeOf(500, { openOfDevice: p.openPerDeviceMax }), 'TOO_MANY_OPEN_VOUCHERS')
  t.equal(codeOf(500, { openOfCustomer: p.openPerCustomerMax }), 'TOO_MANY_OPEN_VOUCHERS')
  t.equal(codeOf(500, { issuedInWindow: p.issuedPerWindowMax }), 'VOUCHER_RATE_LIMITED')
  t.equal(codeOf(500, { revokedInWindow: p.revokedPerWindowMax }), 'REVOCATION_RATE_LIMITED')
  t.equal(codeOf(500, { revocable: p.revocableMax }), 'ISSUANCE_SUSPENDED')
  t.equal(codeOf(500, { revocable: p.revocableMax - 1, issuedInWindow: p.issuedPerWindowMax - 1 }), undefined, 'one below every cap')
})
