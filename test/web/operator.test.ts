// The operator's pages in Chromium, in English and in French: sign in, decide a pending order, issue a
// gateway's provisioning token and read it back from its QR code, review a KYC document, suspend and
// reactivate a customer, verify the ledger, sign out; axe and screenshots on every operator page.

import t from 'tap'
import type { Page } from 'playwright-core'
import { encode } from 'uqr'
import { toBase64 } from '../../protocol/bytes'
import { nodeEd25519 } from '../../protocol/signature/node'
import { HubApi } from '../../simulator/hub-api'
import { webSuite, type Lang, type Messages, type WebSuite } from './world'

/** One language's run of a web test: its page, the dashboard's strings in that language, the world. */
type Run = Parameters<Parameters<WebSuite['test']>[2]>[0]

const web = webSuite(t, { payments: 1 })

/** A 1×1 PNG: what a customer's phone would upload as a photo of their ID card. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64')

/** The catalog entry each run orders: its own EUI per language, as the two runs share one hub. */
const KIOSK: Record<Lang, { name: string; eui: string }> = {
  en: { name: 'Kiosk Plateau', eui: 'A1B2C3D4E5F60E01' },
  fr: { name: 'Kiosque Médina', eui: 'A1B2C3D4E5F60E02' },
}

async function openPage(page: Page, text: Messages, nav: keyof Messages['nav'], title: string): Promise<void> {
  await page.getByRole('navigation', { name: text.app.mainNavigation }).getByRole('link', { name: text.nav[nav], exact: true }).click()
  await page.getByRole('heading', { level: 1, name: title }).waitFor()
}

/** The QR code's dark modules as the SVG draws them (one <rect> per horizontal run), row by row. */
async function drawnModules(page: Page): Promise<boolean[][]> {
  // In the page: the tests are compiled without the DOM's types.
  return page.locator('svg.qr').evaluate((svg: any) => {
    const size = Number(svg.getAttribute('viewBox').split(' ')[2])
    const rows = Array.from({ length: size }, () => Array.from({ length: size }, () => false))
    for (const rect of Array.from(svg.querySelectorAll('rect')) as any[]) {
      if (rect.getAttribute('fill') !== '#000000') continue
      const [x, y, width] = ['x', 'y', 'width'].map((name) => Number(rect.getAttribute(name))) as [number, number, number]
      for (let dx = 0; dx < width; dx++) rows[y]![x + dx] = true
    }
    return rows
  })
}

/** A customer orders a fresh catalog entry; the order waits for the operator. */
async function pendingOrder({ world, lang }: Run): Promise<{ orderId: string; gatewayId: string }> {
  const operator = await world.api(world.operator)
  const kiosk = KIOSK[lang]
  const gateway = await operator.ok('POST', '/gateways', { name: kiosk.name, type: 'pi-nfc', eui: kiosk.eui, price: '25000' })
  const buyer = await world.api(world.customers[0]!)
  const order = await buyer.ok('POST', '/orders', { items: [{ gatewayId: gateway.id, quantity: 1 }], shippingAddress: 'Rue 10, Dakar' })
  return { orderId: order.id, gatewayId: gateway.id }
}

async function validateOrder(run: Run, orderId: string): Promise<void> {
  const { page, text, look, world } = run
  const o = text.operator.orders
  await openPage(page, text, 'opsOrders', o.title)
  const card = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: o.orderOf(orderId) }) })
  await card.waitFor()
  await look('operator-orders')
  await card.getByRole('button', { name: o.validate }).click()
  await page.getByRole('status').filter({ hasText: o.validated(orderId) }).waitFor()
  const order = await (await world.api(world.operator)).ok('GET', `/orders/${orderId}`)
  run.t.equal(order.status, 'validated', 'the hub has the order validated')
}

async function provisioningToken(run: Run, gatewayId: string): Promise<void> {
  const { page, text, look, lang, world } = run
  const g = text.operator.gateways
  await openPage(page, text, 'opsGateways', g.title)
  await look('operator-gateways')
  await page.getByRole('link', { name: `${g.manage} ${KIOSK[lang].name}` }).click()
  await page.getByRole('heading', { level: 1, name: g.gatewayOf(KIOSK[lang].name) }).waitFor()
  await page.getByRole('button', { name: g.issueToken }).click()
  const qr = page.getByRole('img', { name: g.qrLabel(KIOSK[lang].eui) })
  await qr.waitFor()
  await page.getByText(g.shownOnce).waitFor()
  const token = (await page.locator('figure code').textContent())!.trim()
  run.t.same(await drawnModules(page), encode(token, { ecc: 'M', border: 2 }).data, 'the QR code draws exactly the modules of the token shown beside it')
  await look('operator-gateway-token')
  const keys = nodeEd25519.keyPairFromSeed(new Uint8Array(32).fill(lang === 'en' ? 1 : 2))
  const provisioned = await new HubApi(world.url).ok('POST', '/provision', { eui: KIOSK[lang].eui, token, publicKey: toBase64(keys.publicKey) })
  run.t.equal(provisioned.gatewayId, gatewayId, 'the token shown provisions the gateway')
}

/**
 * The kiosk's chain 1 as if its records 1–3 and 9 had arrived (as the hub's chain tests set it), then the gateway
 * provisioned again with a new key: chain 1 stays closing with 4–8 missing, and the operator writes them off.
 */
async function writeOffOldChain(run: Run, gatewayId: string): Promise<void> {
  const { page, text, look, lang, world, guard } = run
  const g = text.operator.gateways
  const eui = KIOSK[lang].eui
  await world.hub.context.engine.write(async (sql) => {
    await sql.run('UPDATE gateway_chains SET contiguous_seq = 3, highest_seq = 9, updated_at_ms = 0 WHERE eui = ? AND chain = 1', [eui])
    await sql.run('INSERT INTO chain_gaps (eui, chain, from_seq, to_seq, detected_at_ms) VALUES (?, 1, 4, 8, 0)', [eui])
  })
  const operator = await world.api(world.operator)
  const { token } = await operator.ok('POST', `/gateways/${gatewayId}/provisioning-token`)
  const keys = nodeEd25519.keyPairFromSeed(new Uint8Array(32).fill(lang === 'en' ? 3 : 4))
  await new HubApi(world.url).ok('POST', '/provision', { eui, token, publicKey: toBase64(keys.publicKey) })

  await guard.leave(() => page.reload())
  const closing = page.getByRole('region', { name: g.closingCaption })
  await closing.getByRole('cell', { name: g.closingRange(4, 8), exact: true }).waitFor()
  await page.getByText(g.chainNumberOf(2)).waitFor()
  await look('operator-gateway-closing-chain')
  await closing.getByLabel(g.writeOffNote).fill('SD card lost when the kiosk was re-imaged')
  await closing.getByRole('button', { name: g.writeOff }).click()
  await page.getByRole('status').filter({ hasText: g.writtenOff(1, 4, 8) }).waitFor()
  await page.getByRole('heading', { name: g.closingTitle }).waitFor({ state: 'detached' })
  const status = await operator.ok('GET', `/gateways/${gatewayId}/status`)
  run.t.same(status.closingChains, [], 'the hub has the old chain closed')
}

async function reviewDocument(run: Run): Promise<void> {
  const { page, text, look, world } = run
  const k = text.operator.kyc
  const customer = world.customers[0]!
  const form = new FormData()
  form.set('kind', 'national_id')
  form.set('file', new Blob([PNG], { type: 'image/png' }), 'id.png')
  const token = (await new HubApi(world.url).ok('POST', '/users/login', { email: customer.email, password: customer.password })).token
  const upload = await fetch(`${world.url}/users/update-document`, { method: 'PATCH', headers: { authorization: `Bearer ${token}` }, body: form })
  run.t.equal(upload.status, 201, 'the customer uploaded an ID card')
  await openPage(page, text, 'opsKyc', k.title)
  await page.getByLabel(k.search).fill(customer.email)
  await page.getByRole('search').getByRole('button').click()
  await page.getByRole('button', { name: `${k.review} ${customer.fullName}` }).click()
  const card = page.getByRole('listitem').filter({ hasText: k.status.pending }).first()
  await card.getByRole('button', { name: k.view }).click()
  const image = card.getByRole('img', { name: k.imageAlt(k.kind.national_id, customer.fullName) })
  await image.waitFor()
  run.t.match(await image.getAttribute('src'), /^blob:/, 'the decrypted document is shown from a blob: URL')
  await look('operator-kyc')
  await card.getByRole('button', { name: k.approve, exact: true }).click()
  await page.getByRole('status').filter({ hasText: k.approved }).waitFor()
}

async function suspendAndReactivate(run: Run): Promise<void> {
  const { page, text, look, world } = run
  const u = text.operator.users
  const customer = world.customers[1]!
  await openPage(page, text, 'opsUsers', u.title)
  await page.getByLabel(u.search).fill(customer.email)
  await page.getByRole('search').getByRole('button').click()
  await page.getByRole('table', { name: u.listCaption }).getByRole('cell', { name: customer.fullName, exact: true }).waitFor()
  await look('operator-users')
  await page.getByRole('button', { name: `${u.manageButton} ${customer.fullName}` }).click()
  await page.getByLabel(u.suspendReason).fill('Card reported stolen')
  await page.getByRole('button', { name: u.suspend }).click()
  await page.getByRole('status').filter({ hasText: u.suspendedNote(customer.fullName) }).waitFor()
  const signIn = () => new HubApi(world.url).call('POST', '/users/login', { email: customer.email, password: customer.password })
  run.t.not((await signIn()).status, 200, 'a suspended customer cannot sign in')
  await page.getByRole('button', { name: u.reactivate }).click()
  await page.getByRole('button', { name: u.reactivateConfirm }).click()
  await page.getByRole('status').filter({ hasText: u.reactivated(customer.fullName) }).waitFor()
  run.t.equal((await signIn()).status, 200, 'the reactivated customer signs in again')
  await page.getByRole('table', { name: text.operator.audit.caption }).getByRole('cell', { name: text.operator.audit.actions['user.reactivate'] }).first().waitFor()
}

async function verifyLedger(run: Run): Promise<void> {
  const { page, text, look } = run
  const l = text.operator.ledger
  await openPage(page, text, 'opsLedger', l.title)
  await page.getByRole('button', { name: l.run }).click()
  await page.getByText(l.sound).waitFor()
  await look('operator-ledger')
}

web.test('the operator decides an order, provisions its gateway, writes off an old chain\'s missing records, reviews a document, suspends and reactivates a user, verifies the ledger', async (run) => {
  const { page, text, look, world, guard, signIn, signOut } = run
  const { orderId, gatewayId } = await pendingOrder(run)
  // The page first tries to restore a session from the refresh cookie; with none yet, the hub says 401.
  guard.expect({ status: 401, method: 'POST', path: '/users/refresh' })
  await signIn(world.operator)
  await page.getByRole('heading', { level: 1, name: text.operator.overview.title }).waitFor()
  await look('operator-overview')
  await validateOrder(run, orderId)
  await provisioningToken(run, gatewayId)
  await writeOffOldChain(run, gatewayId)
  await reviewDocument(run)
  await openPage(page, text, 'opsFlags', text.operator.flags.title)
  await page.getByText(text.operator.flags.none.open).waitFor()
  await look('operator-flags')
  await openPage(page, text, 'opsSettings', text.operator.settingsTitle)
  await page.getByRole('table', { name: text.operator.fees.schedulesCaption }).waitFor()
  await look('operator-settings')
  await suspendAndReactivate(run)
  await verifyLedger(run)
  await signOut()
})
