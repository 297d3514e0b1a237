// SMS through Twilio's REST API, as it documents it: POST {base}/2010-04-01/Accounts/{AccountSid}/Messages.json,
// form-encoded To, From and Body, HTTP basic auth AccountSid:AuthToken; 201 with the message's sid.

import type { TwilioConfig } from '../config'
import { DeliveryError, type DeliveryAdapter } from './adapter'

const HTTP_TOO_MANY_REQUESTS = 429
const PROVIDER_TEXT_LENGTH_MAX = 300

export function twilioAdapter(config: TwilioConfig, timeout_ms: number): DeliveryAdapter {
  const url = `${config.baseUrl.replace(/\/+$/, '')}/2010-04-01/Accounts/${encodeURIComponent(config.accountSid)}/Messages.json`
  const authorization = `Basic ${Buffer.from(`${config.accountSid}:${config.authToken}`).toString('base64')}`
  return {
    name: 'twilio',
    async send(message) {
      if (message.channel !== 'sms') throw new DeliveryError(`the twilio adapter sends SMS, not ${message.channel}`, { permanent: true })
      let response: Response
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: { authorization, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
          body: new URLSearchParams({ To: message.recipient, From: config.from, Body: message.body }).toString(),
          signal: AbortSignal.timeout(timeout_ms),
        })
      } catch (error) {
        throw new DeliveryError(`twilio: ${(error as Error).message}`, { permanent: false, cause: error })
      }
      const text = (await response.text()).slice(0, PROVIDER_TEXT_LENGTH_MAX * 10)
      if (response.status === 201 || response.status === 200) {
        const sid = parseJson(text)?.sid
        return { providerId: typeof sid === 'string' ? sid : null }
      }
      // Twilio's error body: { code, message, more_info, status }.
      const body = parseJson(text)
      const detail = typeof body?.message === 'string' ? `${body.message} (code ${String(body.code)})` : text.slice(0, PROVIDER_TEXT_LENGTH_MAX)
      const retryable = response.status === HTTP_TOO_MANY_REQUESTS || response.status >= 500
      throw new DeliveryError(`twilio answered ${response.status}: ${detail}`, { permanent: !retryable })
    },
    async close() {},
  }
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text)
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}
