// Headers that keep a browser from sniffing, framing or leaking the API's answers. The API serves
// only JSON, so its Content-Security-Policy allows nothing; /docs sets its own on its pages.

import { sharedPlugin } from './shared-plugin'

export const API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

/** On every reply; a reply that writes its own head (an event stream) sets them itself. */
export const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
} as const

export const securityHeaders = sharedPlugin('payall-security-headers', async (app) => {
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.headers(SECURITY_HEADERS)
    if (!reply.hasHeader('content-security-policy')) {
      reply.header('content-security-policy', API_CONTENT_SECURITY_POLICY)
    }
    return payload
  })
})
