// The customer's pages in Chromium, in English and in French: the balance of their wallet, a voucher
// issued and revoked, money sent to a phone number with the code the hub sent them, an identity
// document uploaded, the profile; each page checked by axe and photographed, then signing out.

import t, { type Test } from 'tap'
import type { Page } from 'playwright-core'
import { formatAmount } from '../../protocol/money'
import { codeSent, webSuite, type Messages, type World } from './world'

const web = webSuite(t)

const VOUCHER_MINOR = 2_500
const SENT_MINOR = 1_500
const PAYEE_PHONE = '+221770000001'
/** The smallest PNG: one transparent pixel. */
const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489' +
  '0000000d49444154789c6300010000000500010d0a2db40000000049454e44ae426082', 'hex')

type Api = Awaited<ReturnType<World['api']>>

/** What the steps below use of a language's run (webSuite's PageRun). */
interface Run {
  readonly t: Test
  readonly world: World
  readonly text: Messages
  readonly page: Page
  look(name: string): Promise<void>
}

/** An amount as a page shows it, in either language, down to its digits: "F CFA 48,500" and "48 500 F CFA" are "48500". */
function digitsOf(text: string | null): string {
  return (text ?? '').replace(/\D/g, '')
}

let payeeReady: Promise<void> | undefined

/** Moussa proves a phone number (once for both languages), so that money can be sent to it. */
function payeeProvesPhone(world: World): Promise<void> {
  payeeReady ??= (async () => {
    const moussa = world.customers[1]!
    const api = await world.api(moussa)
    await api.ok('PATCH', '/users/update-account', { phone: PAYEE_PHONE })
    await api.ok('POST', '/users/verify-phone-finish', { code: await codeSent(world, moussa.id, 'phone_code') })
  })()
  return payeeReady
}

async function openPage(page: Page, text: Messages, nav: keyof Messages['nav'], title: string): Promise<void> {
  await page.getByRole('navigation', { name: text.app.mainNavigation }).getByRole('link', { name: text.nav[nav], exact: true }).click()
  await page.getByRole('heading', { level: 1, name: title }).waitFor()
}

/** What the live region of the section titled `section` says, once it says something. */
async function news(page: Page, section: string): Promise<string> {
  const status = page.getByRole('region', { name: section, exact: true }).getByRole('status').filter({ hasText: /\S/ })
  await status.waitFor()
  return (await status.textContent()) ?? ''
}

web.test('a customer sees their balance, issues and revokes a voucher, sends money with the code sent to them, uploads a document, signs out',
  async (run) => {
    const { t, page, text, world, signIn, signOut, look } = run
    const customer = world.customers[0]!
    const api = await world.api(customer)
    await payeeProvesPhone(world)

    await signIn(customer)
    await page.getByRole('heading', { level: 1, name: text.customer.wallets.title }).waitFor()
    const wallet = await api.ok('GET', `/accounts/${customer.wallet}`)
    const tile = page.getByRole('listitem').filter({ hasText: world.currency }).first()
    t.match(digitsOf(await tile.textContent()), digitsOf(formatAmount(wallet.balanceMinor, world.currency)), 'the wallet shows its balance')
    await look('customer-wallets')

    await issueAndRevoke(run, api)
    await sendMoney(run, customer.id)
    await uploadDocument(run)

    await openPage(page, text, 'profile', text.customer.profile.title)
    t.equal(await page.getByLabel(text.customer.profile.fullName).inputValue(), customer.fullName, 'the profile shows the name')
    await look('customer-profile')
    await signOut()
  })

async function issueAndRevoke({ t, page, text, world, look }: Run, api: Api): Promise<void> {
  const d = text.customer.devices
  await openPage(page, text, 'devices', d.title)
  await page.getByLabel(`${d.amount} (${world.currency})`).fill(formatAmount(VOUCHER_MINOR, world.currency))
  await page.getByRole('button', { name: d.issueSubmit }).click()
  t.match(digitsOf(await news(page, d.issue)), digitsOf(formatAmount(VOUCHER_MINOR, world.currency)), 'the page says the voucher is issued')
  const [issued] = (await api.ok('GET', '/api/auth/device/vouchers')).vouchers
  t.match(issued, { amountMinor: VOUCHER_MINOR, status: 'open' }, 'the hub issued it')
  // Newest first: the voucher just issued heads the table.
  const vouchers = page.getByRole('region', { name: d.vouchers, exact: true })
  await vouchers.getByRole('row').nth(1).getByRole('cell', { name: text.customer.voucherStatus.open, exact: true }).waitFor()
  await look('customer-devices')

  await vouchers.getByRole('button', { name: d.revoke }).first().click()
  const dialog = page.getByRole('dialog', { name: d.confirmTitle })
  await dialog.waitFor()
  await look('customer-devices-revoke')
  await dialog.getByRole('button', { name: d.confirmRevoke }).click()
  t.equal(await news(page, d.vouchers), d.revoked, 'the page says the voucher is revoked')
  await vouchers.getByRole('row').nth(1).getByRole('cell', { name: text.customer.voucherStatus.revoked, exact: true }).waitFor()
  const after = (await api.ok('GET', '/api/auth/device/vouchers')).vouchers
  t.equal(after.find((voucher: { id: string }) => voucher.id === issued.id)?.status, 'revoked', 'the hub revoked it')
}

async function sendMoney({ t, page, text, world, look }: Run, payerId: string): Promise<void> {
  const p = text.customer.pay
  const payee = world.customers[1]!
  const payeeApi = await world.api(payee)
  const before = await payeeApi.ok('GET', `/accounts/${payee.wallet}`)
  await openPage(page, text, 'pay', p.title)
  await look('customer-pay')
  await page.getByLabel(p.toPhone).fill(PAYEE_PHONE)
  await page.getByLabel(`${p.amount} (${world.currency})`).fill(formatAmount(SENT_MINOR, world.currency))
  await page.getByRole('button', { name: p.submit }).click()
  await page.getByRole('heading', { level: 2, name: p.codeTitle }).waitFor()
  await look('customer-pay-code')
  await page.getByLabel(p.code, { exact: true }).fill(await codeSent(world, payerId, 'payment_code'))
  await page.getByRole('button', { name: p.confirm }).click()
  await page.getByRole('heading', { level: 2, name: p.doneTitle }).waitFor()
  const after = await payeeApi.ok('GET', `/accounts/${payee.wallet}`)
  t.equal(after.balanceMinor - before.balanceMinor, SENT_MINOR, 'the payee received the money')
  await look('customer-pay-sent')
}

async function uploadDocument({ t, page, text, look }: Run): Promise<void> {
  const k = text.customer.kyc
  await openPage(page, text, 'kyc', k.title)
  await page.getByLabel(k.kind).selectOption('passport')
  await page.getByLabel(k.file).setInputFiles({ name: 'passport.png', mimeType: 'image/png', buffer: PNG })
  await page.getByRole('button', { name: k.submit, exact: true }).click()
  t.equal(await news(page, k.upload), k.uploaded, 'the page says the document is uploaded')
  await page.getByRole('region', { name: k.documents, exact: true })
    .getByRole('row').nth(1).getByRole('cell', { name: text.customer.documentStatus.pending }).waitFor()
  await look('customer-kyc')
}
