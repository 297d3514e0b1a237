import t, { type Test } from 'tap'
import { toBase64 } from '../../../protocol/bytes'
import { nodeEd25519 } from '../../../protocol/signature/node'
import { startHub } from '../../../hub/server'
import { LOGIN_THROTTLE_DEFAULTS } from '../../../hub/users/login-throttle'
import { testConfig } from '../http/fixtures'
import { MANUAL_NOTIFY } from './fixtures'

const OPERATOR = { email: 'ops@payall.example', password: 'operator password 1' }
const PASSWORD = 'a phone password 9'

/** A whole hub listening on loopback (HTTP and MQTT), its outbox delivered only when asked. */
async function socketHub(t: Test) {
  const hub = await startHub({
    ...testConfig(t.testdir(), {
      httpPort: 0, httpHost: '127.0.0.1', mqttPort: 0, mqttHost: '127.0.0.1', logLevel: 'silent',
      operatorEmail: OPERATOR.email, operatorPassword: OPERATOR.password,
    }),
    notify: MANUAL_NOTIFY,
  })
  t.teardown(() => hub.stop())
  const request = async (method: string, path: string, body?: unknown, token?: string) => {
    const response = await fetch(`${hub.httpUrl}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    const text = await response.text()
    return { status: response.status, headers: response.headers, json: text === '' ? undefined : JSON.parse(text) }
  }
  /** POST /api/auth/register, then /register/confirm with the code the outbox holds for the number. */
  const register = async (name: string, surname: string, phone: string) => {
    const registered = await request('POST', '/api/auth/register', { name, surname, phone, password: PASSWORD })
    const message = hub.context.db!.prepare(
      "SELECT body FROM notification_outbox WHERE kind = 'phone_code' AND recipient = ? ORDER BY rowid DESC").get(registered.json.phone) as { body: string }
    const code = /PayAll: (\d{6}) /.exec(message.body)![1]!
    return request('POST', '/api/auth/register/confirm', { registrationId: registered.json.registrationId, code })
  }
  return { hub, request, register }
}

t.test('over a real socket: register, log in by phone, get paid, pay with a code, check the balance, log out', async (t) => {
  const { hub, request, register } = await socketHub(t)
  const operator = (await request('POST', '/users/login', OPERATOR)).json.token as string
  for (const [name, phone] of [['Fatou', '+221770000001'], ['Moussa', '+221770000002']] as const) {
    const registered = await register(name, 'Ndiaye', phone)
    t.equal(registered.status, 201)
  }
  const fatou = (await request('POST', '/api/auth/login', { phone: '+221 77 000 00 01', password: PASSWORD })).json
  t.type(fatou.token, 'string')
  const wallet = (await request('POST', '/users/create-account', { currency: 'XOF' }, fatou.token)).json.id
  t.equal((await request('POST', '/ledger/cash-in', { accountId: wallet, amount: '10000', currency: 'XOF', idempotencyKey: 'k1' }, operator)).status, 201)

  const started = await request('POST', '/api/auth/device/pay', { toPhone: '+221770000002', amount: '3000' }, fatou.token)
  t.equal(started.status, 202)
  const message = hub.context.db!.prepare("SELECT body FROM notification_outbox WHERE kind = 'payment_code'").get() as { body: string }
  const code = /PayAll: (\d{6}) /.exec(message.body)![1]!
  const confirmed = await request('POST', '/api/auth/device/pay/confirm', { paymentId: started.json.paymentId, code }, fatou.token)
  t.equal(confirmed.status, 200)
  t.equal(confirmed.json.status, 'settled')

  const imei = '356938035643809'
  const publicKey = toBase64(nodeEd25519.keyPairFromSeed(new Uint8Array(32).fill(7)).publicKey)
  t.equal((await request('POST', '/api/auth/device/binding', { imei, publicKey }, fatou.token)).status, 201)
  const balance = await request('GET', `/api/auth/device/balance/${imei}`, undefined, fatou.token)
  t.match(balance.json, { imei, accounts: [{ id: wallet, balanceMinor: 7000 }] })
  t.equal(balance.headers.get('x-content-type-options'), 'nosniff')

  t.equal((await request('POST', '/api/auth/logout', { refreshToken: fatou.refreshToken }, fatou.token)).status, 204)
  const after = await request('GET', '/api/auth/device/transaction', undefined, fatou.token)
  t.equal(after.status, 401)
  t.same(Object.keys(after.json), ['error'])
})

t.test('over a real socket: a KYC document streams in as multipart, an oversized one is cut off with 413', async (t) => {
  const { hub, request, register } = await socketHub(t)
  await register('Awa', 'Diop', '+221770000003')
  const { token, user } = (await request('POST', '/api/auth/login', { phone: '+221770000003', password: PASSWORD })).json
  const upload = (content: Uint8Array) => {
    const form = new FormData()
    form.append('kind', 'national_id')
    form.append('file', new Blob([content], { type: 'application/pdf' }), 'id.pdf')
    return fetch(`${hub.httpUrl}/users/update-document`, { method: 'PATCH', headers: { authorization: `Bearer ${token}` }, body: form })
  }
  const pdf = new TextEncoder().encode('%PDF-1.7\nidentity card of Awa Diop\n%%EOF')
  const stored = await upload(pdf)
  t.equal(stored.status, 201)
  const document = await stored.json() as { id: string }
  t.match(document, { userId: user.id, kind: 'national_id', mediaType: 'application/pdf', status: 'pending' })
  const file = await fetch(`${hub.httpUrl}/users/${user.id}/documents/${document.id}/file`, { headers: { authorization: `Bearer ${token}` } })
  t.same(new Uint8Array(await file.arrayBuffer()), pdf)

  const huge = new Uint8Array(6 * 1024 * 1024)
  huge.set(pdf)
  const refused = await upload(huge)
  t.equal(refused.status, 413)
  t.match(await refused.json(), { error: { code: 'PAYLOAD_TOO_LARGE' } })
})

t.test('over a real socket: failed logins from one address are slowed down with 429 and Retry-After', async (t) => {
  const { request } = await socketHub(t)
  const statuses: number[] = []
  for (let attempt = 0; attempt < LOGIN_THROTTLE_DEFAULTS.clientFailuresFree; attempt++) {
    statuses.push((await request('POST', '/api/auth/login', { phone: '+221700000000', password: 'wrong password 1' })).status)
  }
  t.same(new Set(statuses), new Set([401]))
  const limited = await request('POST', '/api/auth/login', { phone: '+221700000000', password: 'wrong password 1' })
  t.equal(limited.status, 429)
  t.equal(limited.json.error.code, 'TOO_MANY_REQUESTS')
  t.ok(Number(limited.headers.get('retry-after')) > 0)
})
