// Headers that keep a browser from sniffing, framing or leaking the API's answers. The API serves
// only JSON, so its Content-Security-Policy allows nothing; /docs sets its own on its pages.

import { sharedPlugin } from './shared-plugin'

export const API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

export const securityHeaders = sharedPlugin('payall-security-headers', async (app) => {
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff')
    reply.header('x-frame-options', 'DENY')
    reply.header('referrer-policy', 'no-referrer')
    if (!reply.hasHeader('content-security-policy')) {
      reply.header('content-security-policy', API_CONTENT_SECURITY_POLICY)
    }
    return payload
  })
})
