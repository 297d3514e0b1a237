import t from 'tap'
import { ConfigError } from '../../../hub/config'
import { NOTIFY_CONFIG_DEFAULT, TWILIO_BASE_URL_DEFAULT, parseNotifyConfig } from '../../../hub/notify/config'

t.test('with nothing set, every channel goes to the console', async (t) => {
  t.same(parseNotifyConfig({}), NOTIFY_CONFIG_DEFAULT)
  t.same(parseNotifyConfig({ PAYALL_NOTIFY_EMAIL: '', PAYALL_NOTIFY_SMS: ' ' }), NOTIFY_CONFIG_DEFAULT, 'empty counts as unset')
})

t.test('smtp and twilio are chosen per channel, with what each needs', async (t) => {
  const config = parseNotifyConfig({
    PAYALL_NOTIFY_EMAIL: 'smtp', PAYALL_SMTP_URL: 'smtps://hub:pw@mail.example:465', PAYALL_EMAIL_FROM: 'PayAll <x@payall.example>',
    PAYALL_NOTIFY_SMS: 'twilio', PAYALL_TWILIO_ACCOUNT_SID: 'AC1', PAYALL_TWILIO_AUTH_TOKEN: 'tok', PAYALL_TWILIO_FROM: '+15005550006',
  })
  t.match(config, {
    email: 'smtp', smtpUrl: 'smtps://hub:pw@mail.example:465', emailFrom: 'PayAll <x@payall.example>',
    sms: 'twilio', twilio: { accountSid: 'AC1', authToken: 'tok', from: '+15005550006', baseUrl: TWILIO_BASE_URL_DEFAULT },
  })
})

t.test('a missing or bad setting names its variable and never echoes a secret', async (t) => {
  const failure = (env: NodeJS.ProcessEnv) => {
    try {
      parseNotifyConfig(env)
    } catch (error) {
      return error as ConfigError
    }
    throw new Error('expected a ConfigError')
  }
  t.match(failure({ PAYALL_NOTIFY_EMAIL: 'pigeon' }), { field: 'PAYALL_NOTIFY_EMAIL' })
  t.match(failure({ PAYALL_NOTIFY_EMAIL: 'smtp' }), { field: 'PAYALL_SMTP_URL' })
  const badUrl = failure({ PAYALL_NOTIFY_EMAIL: 'smtp', PAYALL_SMTP_URL: 'http://user:hunter2@mail.example' })
  t.equal(badUrl.field, 'PAYALL_SMTP_URL')
  t.notMatch(badUrl.message, /hunter2/)
  t.match(failure({ PAYALL_NOTIFY_SMS: 'twilio', PAYALL_TWILIO_ACCOUNT_SID: 'AC1' }), { field: 'PAYALL_TWILIO_AUTH_TOKEN' })
})
