import t, { type Test } from 'tap'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { DeliveryError } from '../../../hub/notify/adapters/adapter'
import { twilioAdapter } from '../../../hub/notify/adapters/twilio'
import { NOTIFY_CONFIG_DEFAULT } from '../../../hub/notify/config'
import { paymentCodeMessage } from '../../../hub/notify/message'
import { testHub, type Tap } from '../http/fixtures'
import { call, signIn } from '../money/fixtures'
import { fundedWallet, mobileUser, outbox } from '../users/fixtures'

const SID = 'AC0123456789abcdef0123456789abcdef'
const AUTH_TOKEN = 'twilio-auth-token'
const FROM = '+15005550006'
const PAYER = { id: 'u1', email: null, phone: '+221771234567', fullName: 'Awa Diop' }

interface TwilioRequest {
  method: string | undefined
  url: string | undefined
  authorization: string | undefined
  contentType: string | undefined
  form: Record<string, string>
}

/** A loopback stand-in for api.twilio.com that checks each request as Twilio documents it and answers `status`. */
async function fakeTwilio(t: Tap, answers: number[] = []) {
  const requests: TwilioRequest[] = []
  const server = createServer((request: IncomingMessage, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const form = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')))
      requests.push({
        method: request.method, url: request.url, authorization: request.headers.authorization,
        contentType: request.headers['content-type'], form,
      })
      const status = answers.shift() ?? 201
      const body = status === 201
        ? { sid: `SM${String(requests.length).padStart(32, '0')}`, status: 'queued', to: form.To, from: form.From, body: form.Body }
        : { code: status === 400 ? 21211 : 20500, message: status === 400 ? "The 'To' number is not a valid phone number." : 'Internal error', status }
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const { port } = server.address() as AddressInfo
  return { baseUrl: `http://127.0.0.1:${port}`, requests }
}

function expectTwilioShape(t: Test, request: TwilioRequest, to: string): void {
  t.equal(request.method, 'POST')
  t.equal(request.url, `/2010-04-01/Accounts/${SID}/Messages.json`)
  t.equal(request.authorization, `Basic ${Buffer.from(`${SID}:${AUTH_TOKEN}`).toString('base64')}`)
  t.match(request.contentType, /^application\/x-www-form-urlencoded/)
  t.same(Object.keys(request.form).sort(), ['Body', 'From', 'To'])
  t.equal(request.form.To, to)
  t.equal(request.form.From, FROM)
}

t.test('the twilio adapter posts To, From and Body form-encoded with basic auth, and keeps the message sid', async (t) => {
  const twilio = await fakeTwilio(t)
  const adapter = twilioAdapter({ accountSid: SID, authToken: AUTH_TOKEN, from: FROM, baseUrl: twilio.baseUrl }, 5_000)
  const message = paymentCodeMessage(PAYER, '042137', { amountMinor: 1500, currency: 'XOF', payeeName: 'Moussa', validMinutes: 5 })
  const { providerId } = await adapter.send(message)
  t.equal(providerId, `SM${'1'.padStart(32, '0')}`)
  t.equal(twilio.requests.length, 1)
  expectTwilioShape(t, twilio.requests[0]!, PAYER.phone)
  t.match(twilio.requests[0]!.form.Body, /042137/)
})

t.test('a 4xx from twilio is permanent; a 429 or 5xx, or no answer, is worth retrying', async (t) => {
  const twilio = await fakeTwilio(t, [400, 429, 503])
  const adapter = twilioAdapter({ accountSid: SID, authToken: AUTH_TOKEN, from: FROM, baseUrl: twilio.baseUrl }, 5_000)
  const message = paymentCodeMessage(PAYER, '000001', { amountMinor: 1, currency: 'XOF', payeeName: 'M', validMinutes: 5 })
  const outcomes: unknown[] = []
  for (let attempt = 0; attempt < 3; attempt++) outcomes.push(await adapter.send(message).catch((error: unknown) => error))
  t.same(outcomes.map((error) => (error as DeliveryError).permanent), [true, false, false])
  t.match((outcomes[0] as Error).message, /21211/)

  const nowhere = twilioAdapter({ accountSid: SID, authToken: AUTH_TOKEN, from: FROM, baseUrl: 'http://127.0.0.1:1' }, 2_000)
  const unreachable = await nowhere.send(message).catch((error: unknown) => error)
  t.equal((unreachable as DeliveryError).permanent, false)
})

t.test('a hub configured for twilio texts the codes that prove numbers, and the payment code to the payer, retrying after a 503', async (t) => {
  const twilio = await fakeTwilio(t, [201, 201, 503])
  const hub = await testHub(t, {
    config: {
      notify: {
        ...NOTIFY_CONFIG_DEFAULT, sms: 'twilio', deliveryIntervalMs: 0,
        twilio: { accountSid: SID, authToken: AUTH_TOKEN, from: FROM, baseUrl: twilio.baseUrl },
      },
    },
  })
  const operator = await signIn(hub, 'operator')
  const payer = await mobileUser(hub)
  const payee = await mobileUser(hub)
  t.same(await hub.app.notifier.deliverDue(), { sent: 2, retried: 0, failed: 0 }, 'each registration’s code went by SMS')
  t.same(twilio.requests.map((request) => request.form.To).sort(), [payer.phone, payee.phone].sort())
  await fundedWallet(hub.app, operator, payer, 'XOF', '5000')
  const pay = await call(hub.app, payer, { method: 'POST', url: '/api/auth/device/pay', payload: { toPhone: payee.phone, amount: '1500' } })
  t.equal(pay.statusCode, 202)

  t.same(await hub.app.notifier.deliverDue(), { sent: 0, retried: 1, failed: 0 })
  hub.clock.advance(NOTIFY_CONFIG_DEFAULT.backoffBaseMs)
  t.same(await hub.app.notifier.deliverDue(), { sent: 1, retried: 0, failed: 0 })
  t.equal(twilio.requests.length, 4)
  expectTwilioShape(t, twilio.requests[3]!, payer.phone)
  const code = /PayAll: (\d{6}) /.exec(twilio.requests[3]!.form.Body!)![1]!
  t.match(outbox(hub, 'payment_code')[0], { status: 'sent', channel: 'sms', recipient: payer.phone })

  const confirmed = await call(hub.app, payer, {
    method: 'POST', url: '/api/auth/device/pay/confirm', payload: { paymentId: pay.json().paymentId, code },
  })
  t.equal(confirmed.statusCode, 200, 'the code that arrived by SMS confirms the payment')
})
