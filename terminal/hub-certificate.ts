// The hub's TLS certificate on the gateway's side: pinned at provisioning, it is the only one the
// gateway accepts from then on, from the hub's REST API (provision.ts) and from its broker
// (sync/connection.ts). A hub that presents another is refused with HUB_CERT_REFUSED, never accepted.

import { certificateRefusal, type PinnedCertificate, pinnedTlsOptions } from '../protocol/tls-pin'
import { TerminalError } from './errors'
import type { Fetch } from './provision'

/**
 * The refusal to report when `error` (a failed connection to `peer`, e.g. "the broker at mqtts://…")
 * is one of its certificate; undefined for any other failure. `pinned`: the certificate the
 * connection was to meet; undefined when it went by the system's CAs.
 */
export function hubCertificateRefused(error: unknown, peer: string, pinned: PinnedCertificate | undefined): TerminalError | undefined {
  const refusal = certificateRefusal(error)
  if (refusal === undefined) return undefined
  const message = pinned === undefined
    ? `${peer} presented a certificate this gateway does not trust (${refusal}); `
      + "if the hub's certificate is self-signed, provision with --hub-cert FILE (that certificate)"
    : `${peer} presented another certificate than the one pinned at provisioning (SHA-256 ${pinned.fingerprint256}), `
      + `refused (${refusal}). If the hub's certificate was replaced, provision the gateway again with a new token `
      + 'and --hub-cert FILE (the new certificate)'
  return new TerminalError('HUB_CERT_REFUSED', message, { cause: error })
}

/** A fetch that reaches only a server presenting `pinned`, through undici (Node's own fetch) with its own connections. */
export async function pinnedFetch(pinned: PinnedCertificate): Promise<{ fetch: Fetch; close(): Promise<void> }> {
  // Loaded here, by provisioning alone: the running counter never makes an HTTPS call.
  const { Agent, fetch } = await import('undici')
  const agent = new Agent({ connect: pinnedTlsOptions(pinned) })
  return {
    fetch: (url, init) => fetch(url, { ...init, dispatcher: agent }),
    close: () => agent.close(),
  }
}
