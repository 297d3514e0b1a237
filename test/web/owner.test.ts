import { readFileSync } from 'node:fs'
import t from 'tap'
import type { Page } from 'playwright-core'
import { CHROMIUM } from './browser'
import { webSuite, type Lang } from './world'

// The gateway owner's pages in Chromium against a real hub whose simulated fleet takes payments: their
// gateways online, a payment appearing without a reload, a gateway's revenue chart and its table, the
// CSV export, ordering from the catalog with the operator's decision arriving live; in English and French.

const web = webSuite(t, { payments: 2 })

/** The owner's share of the fees: 2 % per payment, half of it to the owner, so revenue is not zero. */
const FEES = { basisPoints: 200, ownerShareBasisPoints: 5_000 }
const LOCALES: Record<Lang, string> = { en: 'en-GB', fr: 'fr-FR' }
/** How long a terminal whose link is restored may take to reconnect: far above a loopback round trip. */
const LINK_TIMEOUT_MS = 30_000

t.before(async () => {
  if (CHROMIUM.skip !== false) return
  const operator = await web.world.api(web.world.operator)
  const gateway = await (await web.world.api(web.world.owner)).ok('GET', `/gateways/${web.world.gateways[0]!.id}`)
  await operator.ok('POST', '/fees', { gatewayType: gateway.type, currency: web.world.currency, ...FEES })
})

/** An amount as the page writes it: Intl in the page's own browser, in the dashboard's locale for `lang`. */
function written(page: Page, lang: Lang, amount_minor: number, currency: string): Promise<string> {
  return page.evaluate(([locale, minor, code]) => {
    const format = new Intl.NumberFormat(locale, { style: 'currency', currency: code })
    return format.format(minor / 10 ** (format.resolvedOptions().maximumFractionDigits ?? 2))
  }, [LOCALES[lang], amount_minor, currency] as const)
}

/** Today (UTC, as the hub counts days) as the chart's table names it. */
function todayLabel(page: Page, lang: Lang): Promise<string> {
  return page.evaluate((locale) => new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'short', timeZone: 'UTC' }).format(Date.now()), LOCALES[lang])
}

async function gatewayNames(): Promise<Map<string, string>> {
  const owner = await web.world.api(web.world.owner)
  const { items } = await owner.ok('GET', '/owner/gateways')
  return new Map(items.map((gateway: { id: string; name: string }) => [gateway.id, gateway.name]))
}

web.test('the owner sees their gateways online, and a payment the fleet takes appears without a reload', async ({ t, page, text, lang, world, signIn, look }) => {
  const names = await gatewayNames()
  await signIn(world.owner)
  await page.getByRole('heading', { level: 1, name: text.owner.gateways.title }).waitFor()
  const card = (gateway: { id: string }) => page.getByRole('listitem').filter({ has: page.getByRole('link', { name: names.get(gateway.id)!, exact: true }) })
  for (const gateway of world.gateways) await card(gateway).getByText(text.owner.presence.online, { exact: true }).waitFor()
  t.equal(await page.getByRole('link', { name: text.nav.ownerGateways, exact: true }).getAttribute('aria-current'), 'page', 'the owner starts on their gateways')
  await look('owner-gateways')

  // Set on this very document: a reload would drop it.
  await page.evaluate('window.payallNoReload = true')
  const payment = await world.pay({ gateway: 1, amount_minor: 2_750 })
  const feed = page.getByRole('region', { name: text.owner.feed.table })
  const row = feed.getByRole('row').filter({ hasText: names.get(payment.gatewayId)! })
  await row.getByRole('cell', { name: await written(page, lang, payment.amountMinor, payment.currency), exact: true }).waitFor()
  t.equal(await page.evaluate('window.payallNoReload'), true, 'the payment arrived in the page as it was, not by a reload')
  t.match(await page.getByRole('status').filter({ hasText: names.get(payment.gatewayId)! }).textContent(), names.get(payment.gatewayId)!,
    'screen readers hear of the payment')

  // The gateway's link drops, then comes back: its card says so as it happens, in words.
  const gateway = world.gateways[1]!
  await gateway.terminal.cut()
  await card(gateway).getByText(text.owner.presence.offline, { exact: true }).waitFor()
  await page.getByRole('status').filter({ hasText: text.owner.presence.changed(names.get(gateway.id)!, false) }).waitFor()
  await gateway.terminal.restore(LINK_TIMEOUT_MS)
  await card(gateway).getByText(text.owner.presence.online, { exact: true }).waitFor()
  t.equal(await page.evaluate('window.payallNoReload'), true, 'the gateway went offline and online again on the page as it was')
})

web.test('a gateway\'s page shows its status, its revenue as a chart and a table, its payments live, and exports them as CSV', async ({ t, page, text, lang, world, signIn, look }) => {
  const gateway = world.gateways[0]!
  const name = (await gatewayNames()).get(gateway.id)!
  const owner = await world.api(world.owner)
  await world.pay({ gateway: 0 })
  await signIn(world.owner)
  await page.getByRole('link', { name, exact: true }).click()
  await page.getByRole('heading', { level: 1, name, exact: true }).waitFor()
  await page.getByRole('region', { name: text.owner.gateway.status, exact: true }).getByText(text.owner.presence.online, { exact: true }).waitFor()

  const chart = page.getByRole('img', { name: text.owner.revenue.chartDay(world.currency) })
  await chart.locator('canvas').waitFor()
  const today = new Date().toISOString().slice(0, 10)
  const revenue = await owner.ok('GET', `/revenue?gatewayId=${gateway.id}&period=day&from=${today}&to=${today}`)
  const revenue_minor = revenue.rows.reduce((sum: number, row: { revenueMinor: number }) => sum + row.revenueMinor, 0)
  t.ok(revenue_minor > 0, 'the gateway earned its owner a share of the fees today')
  await page.getByText(text.owner.revenue.figures).click()
  const figures = page.getByRole('region', { name: text.owner.revenue.chartDay(world.currency) })
  const todayRow = figures.getByRole('row').filter({ has: page.getByRole('rowheader', { name: await todayLabel(page, lang), exact: true }) })
  await todayRow.getByRole('cell', { name: await written(page, lang, revenue_minor, world.currency), exact: true }).waitFor()
  await look('owner-gateway')

  await page.getByRole('button', { name: text.owner.revenue.byMonth }).click()
  await page.getByRole('img', { name: text.owner.revenue.chartMonth(world.currency) }).locator('canvas').waitFor()

  const payments = page.getByRole('region', { name: text.owner.payments.table })
  // An amount of this run's own: the other language's run paid at this gateway too.
  const paid = await world.pay({ gateway: 0, amount_minor: lang === 'en' ? 1_250 : 1_350 })
  await payments.getByRole('cell', { name: await written(page, lang, paid.amountMinor, paid.currency), exact: true }).waitFor()

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: text.owner.payments.download }).click()])
  const from = `${today.slice(0, 8)}01`
  t.equal(download.suggestedFilename(), `payall-${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${from}-to-${today}.csv`, 'the file is named after the gateway and the days')
  const csv = readFileSync((await download.path())!, 'utf8')
  const taken = await owner.ok('GET', `/transactions/${gateway.id}/gateway?from=${from}`)
  t.equal(csv.split(/\r?\n/).filter(line => line !== '').length, taken.total + 1, 'a header row, then a row per payment')
  for (const item of taken.items) t.ok(csv.includes(item.id), `the file holds payment ${item.id}`)
  await page.getByRole('status').filter({ hasText: download.suggestedFilename() }).waitFor()
})

web.test('the owner orders a gateway from the catalog, sees the operator\'s decision arrive, and signs out', async ({ t, page, text, lang, world, signIn, signOut, look }) => {
  const operator = await world.api(world.operator)
  const model = `counter-${lang}`
  await operator.ok('POST', '/gateways', { name: `Shop counter ${lang}`, type: model, eui: lang === 'en' ? '70B3D57ED0001E01' : '70B3D57ED0001F01', price: '25000' })
  await signIn(world.owner)
  await page.getByRole('navigation', { name: text.app.mainNavigation }).getByRole('link', { name: text.nav.shop, exact: true }).click()
  await page.getByRole('heading', { level: 1, name: text.owner.shop.title }).waitFor()
  await page.getByRole('button', { name: text.owner.shop.add(model) }).click()
  t.equal(await page.getByRole('spinbutton', { name: text.owner.shop.quantityOf(model) }).inputValue(), '1', 'one in the cart')
  await page.getByLabel(text.owner.shop.address).fill('12 rue <b>Carnot</b>, Dakar')
  await look('owner-shop')
  await page.getByRole('button', { name: text.owner.shop.place }).click()
  await page.getByText(text.owner.shop.placed).waitFor()
  t.ok(await page.getByText(text.owner.shop.cartEmpty).isVisible(), 'the cart is emptied once the order is placed')

  const orders = page.getByRole('region', { name: text.owner.orders.table })
  await orders.getByText(text.owner.orderStatus.pending, { exact: true }).waitFor()
  const { items } = await (await world.api(world.owner)).ok('GET', '/orders?status=pending')
  t.equal(items.length, 1, 'one order waits for the operator')
  const reason = `Out of <b>stock</b> this week (${lang})`
  await operator.ok('POST', `/orders/${items[0].id}/reject`, { reason })
  const decided = orders.getByRole('row').filter({ has: page.getByRole('cell', { name: reason, exact: true }) })
  await decided.getByText(text.owner.orderStatus.rejected, { exact: true }).waitFor()
  t.pass('the decision and its reason arrive without a reload, the reason\'s markup shown as text')
  await signOut()
})
