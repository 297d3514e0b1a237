import t from 'tap'
import { toBase64 } from '../../../protocol/bytes'
import { isPrintableLine } from '../../../hub/http/text'
import { gatewayKeys } from '../gateways/fixtures'
import { errorOf } from './fixtures'
import { PASSWORD, call, fundedWallet, restHub, secretIn, type RestHub } from '../users/fixtures'

// Each kind of character that must never reach a message inside someone's name, address or reference.
const BAD: ReadonlyArray<[string, string]> = [
  ['NUL', '\u0000'], ['LF', '\n'], ['CR', '\r'], ['TAB', '\t'], ['ESC', '\u001B'], ['DEL', '\u007F'],
  ['C1 NEL', '\u0085'], ['C1 CSI', '\u009B'], ['line separator', '\u2028'], ['paragraph separator', '\u2029'],
  ['LRE', '\u202A'], ['RLE', '\u202B'], ['PDF', '\u202C'], ['LRO', '\u202D'], ['RLO', '\u202E'],
  ['LRI', '\u2066'], ['RLI', '\u2067'], ['FSI', '\u2068'], ['PDI', '\u2069'], ['LRM', '\u200E'], ['RLM', '\u200F'], ['ALM', '\u061C'],
  ['zero-width space', '\u200B'], ['word joiner', '\u2060'], ['BOM', '\uFEFF'], ['soft hyphen', '\u00AD'], ['Hangul filler', '\u3164'],
  ['tag letter', '\u{E0041}'], ['lone surrogate', '\uD800'],
]

// Names as people have them: accents, apostrophes, Arabic script (Arabic, and Wolof written in it), N'Ko, Wolof's own letters.
const GOOD = [
  'Aïssatou Ndèye Fall', 'N’Diaye', "Mamadou O'Neil", 'عبد الله جوب', 'سٜرِيñ مْبَکّٚ', 'ߞߊ߲ߞߊ߲', 'Ñdeye Ëllimaan Mbaŋ', 'Zoë-Chloé Ba',
  'نرگس\u200Cخانم', '👩\u200D💻 Awa',
]

interface EntryPoint {
  readonly name: string
  send(text: string): ReturnType<typeof call>
}

/** Everything a refused request must leave as it was. */
function snapshot(hub: RestHub): string {
  const tables = ['users', 'gateways', 'orders', 'kyc_documents', 'devices', 'transfers', 'phone_claims', 'notification_outbox']
  return JSON.stringify(tables.map((table) => hub.context.db.prepare(`SELECT * FROM ${table} ORDER BY rowid`).all()))
}

async function entryPoints(hub: RestHub): Promise<EntryPoint[]> {
  const { app, operator, customer, owner } = hub
  let serial = 0
  const eui = () => `70B3D57EBE${(++serial).toString(16).padStart(6, '0').toUpperCase()}`
  // A number per registration: each sends a code, and one number gets only so many.
  const phone = () => `+22176${1_000_000 + ++serial}`
  const gateway = (await call(app, operator, {
    method: 'POST', url: '/gateways', payload: { name: 'Counter', type: 'pi-nfc', eui: eui(), price: '25000' },
  })).json().id
  const order = (await call(app, customer, {
    method: 'POST', url: '/orders', payload: { items: [{ gatewayId: gateway, quantity: 1 }], shippingAddress: '12 rue Carnot, Dakar' },
  })).json().id
  const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('IHDR scan')])
  const boundary = 'payall-text-test'
  const form = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\npassport\r\n`),
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="scan"\r\nContent-Type: image/png\r\n\r\n`), png,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ])
  const document = (await call(app, customer, {
    method: 'PATCH', url: '/users/update-document', payload: form, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  })).json().id
  const from = await fundedWallet(app, operator, customer, 'XOF', '1000')
  const to = await fundedWallet(app, operator, owner, 'XOF', '0')
  const key = toBase64(gatewayKeys('a customer phone').publicKey)
  const send = (as: typeof operator | undefined, method: string, url: string, payload?: object) =>
    call(app, as, { method, url, ...(payload === undefined ? {} : { payload }) })
  const signUp = (fullName: string) => ({ fullName, email: `new${++serial}@payall.example`, password: PASSWORD })
  const registration = (name: string, surname: string) => ({ name, surname, phone: phone(), password: PASSWORD })
  const newGateway = (name: string) => ({ name, type: 'pi-nfc', eui: eui(), price: '25000' })
  const binding = (field: 'model' | 'brand', text: string) => ({ imei: '356938035643809', publicKey: key, [field]: text })
  const cashIn = (reference: string) => ({ accountId: from, amount: '1', currency: 'XOF', idempotencyKey: `k${++serial}`, reference })
  const items = [{ gatewayId: gateway, quantity: 1 }]
  return [
    { name: 'sign-up fullName', send: (text) => send(undefined, 'POST', '/users/sign-up', signUp(text)) },
    { name: 'update-account fullName', send: (text) => send(customer, 'PATCH', '/users/update-account', { fullName: text }) },
    { name: 'register name', send: (text) => send(undefined, 'POST', '/api/auth/register', registration(text, 'Diop')) },
    { name: 'register surname', send: (text) => send(undefined, 'POST', '/api/auth/register', registration('Awa', text)) },
    { name: 'gateway name', send: (text) => send(operator, 'POST', '/gateways', newGateway(text)) },
    { name: 'gateway rename', send: (text) => send(operator, 'PATCH', `/gateways/${gateway}`, { name: text }) },
    { name: 'shipping address', send: (text) => send(owner, 'POST', '/orders', { items, shippingAddress: text }) },
    { name: 'order rejection reason', send: (text) => send(operator, 'POST', `/orders/${order}/reject`, { reason: text }) },
    { name: 'order rejection reason (query)', send: (text) => send(operator, 'GET', `/orders/${order}/reject?reason=${encodeURIComponent(text)}`) },
    { name: 'KYC rejection reason', send: (text) => send(operator, 'POST', `/users/${customer.userId}/documents/${document}/reject`, { reason: text }) },
    { name: 'device model', send: (text) => send(customer, 'POST', '/api/auth/device/binding', binding('model', text)) },
    { name: 'device brand', send: (text) => send(customer, 'POST', '/api/auth/device/binding', binding('brand', text)) },
    { name: 'cash-in reference', send: (text) => send(operator, 'POST', '/ledger/cash-in', cashIn(text)) },
    { name: 'transfer reference', send: (text) => send(customer, 'POST', '/transactions', { toWalletAddress: to, amount: '1', currency: 'XOF', reference: text }) },
  ]
}

t.test('the check itself: one line of printable text, not blank', async (t) => {
  for (const [kind, character] of BAD) t.notOk(isPrintableLine(`Awa${character}Diop`), kind)
  for (const name of GOOD) t.ok(isPrintableLine(name), name)
  t.notOk(isPrintableLine('   '), 'blank')
  t.notOk(isPrintableLine(''), 'empty')
})

t.test('every kind of unprintable character is refused at every place user text enters: 400 BAD_TEXT, and nothing changes', async (t) => {
  const hub = await restHub(t)
  const points = await entryPoints(hub)
  const before = snapshot(hub)
  for (const point of points) {
    for (const [kind, character] of BAD) {
      // A URL carries UTF-8, which has no lone surrogates: there is nothing to send.
      if (kind === 'lone surrogate' && point.name.endsWith('(query)')) continue
      const response = await point.send(`Awa Diop${character}PayAll: your account is blocked`)
      t.equal(response.statusCode, 400, `${point.name}: ${kind}`)
      const error = errorOf(response)
      if (error.code !== 'BAD_TEXT') t.fail(`${point.name}: ${kind} answered ${error.code}: ${error.message}`)
    }
    t.match(errorOf(await point.send('Awa\nDiop')).message, /one line of printable text, not blank: no control characters/, `${point.name} names the problem`)
  }
  t.equal(snapshot(hub), before, 'nothing was stored, changed or sent')
})

t.test('legitimate names with accents, apostrophes, Arabic script, N’Ko and Wolof letters are taken as they are', async (t) => {
  const hub = await restHub(t)
  const points = (await entryPoints(hub)).filter((point) => /fullName|gateway name|register name/.test(point.name))
  for (const point of points) {
    for (const name of GOOD) {
      const response = await point.send(name)
      t.ok(response.statusCode < 300, `${point.name}: ${name} (${response.statusCode} ${response.statusCode < 300 ? '' : response.body})`)
    }
  }
  const stored = hub.context.db.prepare('SELECT full_name FROM users WHERE id = ?').get(hub.customer.userId)
  t.same(stored, { full_name: GOOD[GOOD.length - 1] })
  const registered = hub.context.db.prepare("SELECT sign_up_full_name FROM phone_claims WHERE sign_up_user_id IS NOT NULL ORDER BY rowid DESC").get()
  t.same(registered, { sign_up_full_name: `${GOOD[GOOD.length - 1]} Diop` })
  t.ok(secretIn(hub, 'phone_code'))
})
