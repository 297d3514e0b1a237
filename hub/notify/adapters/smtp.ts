// Emails through an SMTP server with nodemailer. A 5xx reply refuses the message for good; anything
// else (a 4xx, a connection that fails or times out) is worth another attempt.

import nodemailer from 'nodemailer'
import { DeliveryError, type DeliveryAdapter } from './adapter'

export interface SmtpOptions {
  /** smtp[s]://user:password@host:port */
  readonly url: string
  readonly from: string
  readonly timeoutMs: number
}

export function smtpAdapter(options: SmtpOptions): DeliveryAdapter {
  const transport = nodemailer.createTransport({
    url: options.url,
    connectionTimeout: options.timeoutMs,
    greetingTimeout: options.timeoutMs,
    socketTimeout: options.timeoutMs,
  })
  return {
    name: 'smtp',
    async send(message) {
      if (message.channel !== 'email') throw new DeliveryError(`the smtp adapter sends emails, not ${message.channel}`, { permanent: true })
      try {
        const info = await transport.sendMail({ from: options.from, to: message.recipient, subject: message.subject, text: message.body })
        return { providerId: typeof info.messageId === 'string' ? info.messageId : null }
      } catch (error) {
        const responseCode = (error as { responseCode?: unknown }).responseCode
        const permanent = typeof responseCode === 'number' && responseCode >= 500 && responseCode < 600
        throw new DeliveryError(`smtp: ${(error as Error).message}`, { permanent, cause: error })
      }
    },
    async close() {
      transport.close()
    },
  }
}
