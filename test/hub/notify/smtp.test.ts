import t from 'tap'
import type { AddressInfo } from 'node:net'
import { SMTPServer } from 'smtp-server'
import { DeliveryError } from '../../../hub/notify/adapters/adapter'
import { smtpAdapter } from '../../../hub/notify/adapters/smtp'
import { NOTIFY_CONFIG_DEFAULT } from '../../../hub/notify/config'
import { passwordResetMessage } from '../../../hub/notify/message'
import { testHub, type Tap } from '../http/fixtures'
import { signIn } from '../money/fixtures'
import { outbox, secretIn } from '../users/fixtures'

const USER = { id: 'u1', email: 'awa@payall.example', phone: null, fullName: 'Awa Diop' }
const FROM = 'PayAll <no-reply@payall.example>'

interface Received {
  from: string | undefined
  to: string[]
  user: string | undefined
  raw: string
}

/** A real SMTP server on loopback that wants a login, keeps what it receives, and refuses @refused.example. */
async function smtpServer(t: Tap): Promise<{ url: string; received: Received[]; port: number }> {
  const received: Received[] = []
  const server = new SMTPServer({
    authMethods: ['PLAIN', 'LOGIN'],
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === 'hub' && auth.password === 's3cret') return callback(null, { user: auth.username })
      return callback(new Error('bad credentials'))
    },
    onRcptTo(address, _session, callback) {
      if (address.address.endsWith('@refused.example')) {
        return callback(Object.assign(new Error('mailbox unavailable'), { responseCode: 550 }))
      }
      return callback()
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (chunk: Buffer) => chunks.push(chunk))
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom === false ? undefined : session.envelope.mailFrom.address,
          to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
          user: session.user as string | undefined,
          raw: Buffer.concat(chunks).toString('utf8'),
        })
        callback()
      })
    },
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const { port } = server.server.address() as AddressInfo
  return { url: `smtp://hub:s3cret@127.0.0.1:${port}`, received, port }
}

t.test('the smtp adapter logs in and hands the message to a real SMTP server', async (t) => {
  const server = await smtpServer(t)
  const adapter = smtpAdapter({ url: server.url, from: FROM, timeoutMs: 5_000 })
  t.teardown(() => adapter.close())
  const { providerId } = await adapter.send(passwordResetMessage(USER, 'token-123', 60))
  t.type(providerId, 'string')
  t.equal(server.received.length, 1)
  const [mail] = server.received
  t.equal(mail!.user, 'hub', 'authenticated with the credentials of the URL')
  t.equal(mail!.from, 'no-reply@payall.example')
  t.same(mail!.to, ['awa@payall.example'])
  t.match(mail!.raw, /^Subject: Reset your PayAll password$/m)
  t.match(mail!.raw, /^To: awa@payall\.example$/m)
  t.match(mail!.raw, /token-123/)
})

t.test('a 5xx from the server is a permanent failure; no server at all is worth retrying', async (t) => {
  const server = await smtpServer(t)
  const adapter = smtpAdapter({ url: server.url, from: FROM, timeoutMs: 5_000 })
  t.teardown(() => adapter.close())
  const refused = await adapter.send({ ...passwordResetMessage(USER, 't', 60), recipient: 'who@refused.example' }).catch((error: unknown) => error)
  t.type(refused, DeliveryError)
  t.equal((refused as DeliveryError).permanent, true)

  const nowhere = smtpAdapter({ url: 'smtp://hub:s3cret@127.0.0.1:1', from: FROM, timeoutMs: 2_000 })
  const unreachable = await nowhere.send(passwordResetMessage(USER, 't', 60)).catch((error: unknown) => error)
  t.type(unreachable, DeliveryError)
  t.equal((unreachable as DeliveryError).permanent, false)
  await nowhere.close()
})

t.test('a hub configured for smtp delivers a password reset through the real server and marks it sent', async (t) => {
  const server = await smtpServer(t)
  const hub = await testHub(t, {
    config: { notify: { ...NOTIFY_CONFIG_DEFAULT, email: 'smtp', smtpUrl: server.url, emailFrom: FROM, deliveryIntervalMs: 0 } },
  })
  const customer = await signIn(hub, 'customer')
  await hub.app.inject({ method: 'POST', url: '/users/reset-password-init', payload: { email: customer.email } })
  const token = secretIn(hub, 'password_reset')
  t.same(await hub.app.notifier.deliverDue(), { sent: 1, retried: 0, failed: 0 })
  t.equal(server.received.length, 1)
  t.same(server.received[0]!.to, [customer.email])
  t.match(server.received[0]!.raw, token)
  t.match(outbox(hub, 'password_reset')[0], { status: 'sent' })
})
