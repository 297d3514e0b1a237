// Which adapter delivers each channel, and how hard delivery tries: parsed from PAYALL_NOTIFY_* and the
// providers' variables (environment only, like every secret), and carried in HubConfig.notify.

import { ConfigError } from '../config'

type EmailAdapterName = 'console' | 'smtp'
type SmsAdapterName = 'console' | 'twilio'

export interface TwilioConfig {
  readonly accountSid: string
  readonly authToken: string
  /** The sender: a Twilio phone number in E.164. */
  readonly from: string
  /** https://api.twilio.com unless a test or a proxy says otherwise. */
  readonly baseUrl: string
}

export interface NotifyConfig {
  readonly email: EmailAdapterName
  readonly sms: SmsAdapterName
  /** smtp:// or smtps:// with credentials in the URL, as nodemailer takes it. */
  readonly smtpUrl: string | undefined
  readonly emailFrom: string
  readonly twilio: TwilioConfig | undefined
  /** How often pending messages are looked at; 0: only when deliverDue() is called (tests). */
  readonly deliveryIntervalMs: number
  /** A message that failed this many times is marked failed and left in the outbox. */
  readonly attemptsMax: number
  /** The first retry waits this long; each next one twice as long, up to backoffMaxMs. */
  readonly backoffBaseMs: number
  readonly backoffMaxMs: number
  /** One provider call longer than this counts as a failed attempt. */
  readonly sendTimeoutMs: number
}

declare module '../config' {
  interface HubConfig {
    /** Absent: NOTIFY_CONFIG_DEFAULT, everything printed to the log. */
    readonly notify?: NotifyConfig
  }
}

export const TWILIO_BASE_URL_DEFAULT = 'https://api.twilio.com'

export const NOTIFY_CONFIG_DEFAULT: NotifyConfig = Object.freeze({
  email: 'console',
  sms: 'console',
  smtpUrl: undefined,
  emailFrom: 'PayAll <no-reply@payall.local>',
  twilio: undefined,
  deliveryIntervalMs: 5_000,
  attemptsMax: 8,
  backoffBaseMs: 30_000,
  backoffMaxMs: 60 * 60 * 1000,
  sendTimeoutMs: 15_000,
})

/** The variables parseNotifyConfig reads, for --help and the README. */
const NOTIFY_ENVIRONMENT = {
  PAYALL_NOTIFY_EMAIL: `console | smtp (default ${NOTIFY_CONFIG_DEFAULT.email})`,
  PAYALL_NOTIFY_SMS: `console | twilio (default ${NOTIFY_CONFIG_DEFAULT.sms})`,
  PAYALL_SMTP_URL: 'smtp[s]://user:password@host:port, needed by smtp',
  PAYALL_EMAIL_FROM: `sender of emails (default ${NOTIFY_CONFIG_DEFAULT.emailFrom})`,
  PAYALL_TWILIO_ACCOUNT_SID: 'AC…, needed by twilio',
  PAYALL_TWILIO_AUTH_TOKEN: 'needed by twilio',
  PAYALL_TWILIO_FROM: 'sending number, E.164, needed by twilio',
  PAYALL_TWILIO_BASE_URL: `default ${TWILIO_BASE_URL_DEFAULT}`,
} as const

/** Throws ConfigError naming the variable at fault; an empty variable counts as unset. The result is frozen. */
export function parseNotifyConfig(env: NodeJS.ProcessEnv): NotifyConfig {
  const value = (name: keyof typeof NOTIFY_ENVIRONMENT): string | undefined => {
    const text = env[name]
    return text === undefined || text.trim() === '' ? undefined : text.trim()
  }
  const required = (name: keyof typeof NOTIFY_ENVIRONMENT, adapter: string): string => {
    const text = value(name)
    if (text === undefined) throw new ConfigError('MISSING_OPTION', name, `${name} is needed by the ${adapter} adapter`)
    return text
  }
  const email = oneOf(value('PAYALL_NOTIFY_EMAIL') ?? 'console', ['console', 'smtp'] as const, 'PAYALL_NOTIFY_EMAIL')
  const sms = oneOf(value('PAYALL_NOTIFY_SMS') ?? 'console', ['console', 'twilio'] as const, 'PAYALL_NOTIFY_SMS')
  const smtpUrl = email === 'smtp' ? urlOf(required('PAYALL_SMTP_URL', 'smtp'), 'PAYALL_SMTP_URL', ['smtp:', 'smtps:']) : undefined
  const twilio = sms === 'twilio'
    ? Object.freeze({
        accountSid: required('PAYALL_TWILIO_ACCOUNT_SID', 'twilio'),
        authToken: required('PAYALL_TWILIO_AUTH_TOKEN', 'twilio'),
        from: required('PAYALL_TWILIO_FROM', 'twilio'),
        baseUrl: urlOf(value('PAYALL_TWILIO_BASE_URL') ?? TWILIO_BASE_URL_DEFAULT, 'PAYALL_TWILIO_BASE_URL', ['https:', 'http:']),
      })
    : undefined
  return Object.freeze({
    ...NOTIFY_CONFIG_DEFAULT, email, sms, smtpUrl, twilio, emailFrom: value('PAYALL_EMAIL_FROM') ?? NOTIFY_CONFIG_DEFAULT.emailFrom,
  })
}

function oneOf<Name extends string>(text: string, names: readonly Name[], variable: string): Name {
  const name = names.find((candidate) => candidate === text)
  if (name === undefined) throw new ConfigError('BAD_OPTION', variable, `${variable} must be one of ${names.join(', ')}, got '${text}'`)
  return name
}

function urlOf(text: string, variable: string, protocols: readonly string[]): string {
  let protocol: string | undefined
  try {
    protocol = new URL(text).protocol
  } catch {
    protocol = undefined
  }
  // Never echoes the value: an SMTP URL carries its password.
  if (protocol === undefined || !protocols.includes(protocol)) {
    throw new ConfigError('BAD_OPTION', variable, `${variable} must be a ${protocols.map((p) => `${p}//`).join(' or ')} URL`)
  }
  return text
}

/** The notification variables, for `payall-hub --help`. */
export const NOTIFY_HELP = [
  'Notifications (environment only):',
  ...Object.entries(NOTIFY_ENVIRONMENT).map(([name, description]) => `  ${name}\n      ${description}`),
  '',
].join('\n')
