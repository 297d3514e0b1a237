// A hub's TLS certificate pinned: a client that was given it (a gateway at provisioning, the hub's own
// MQTT client) accepts a server only if it presents exactly that certificate, whatever name it carries,
// and refuses any other with an error `certificateRefusal` recognizes.

import { X509Certificate } from 'node:crypto'
import { rootCertificates, type PeerCertificate } from 'node:tls'
import { ProtocolError } from './errors'

export interface PinnedCertificate {
  /** The certificate alone, in PEM. */
  readonly pem: string
  /** SHA-256 of its DER, as `openssl x509 -fingerprint -sha256` prints it (AB:CD:…). */
  readonly fingerprint256: string
}

/** The first certificate of `pem` (a file may hold a chain after it); BAD_CERTIFICATE when it holds none. */
export function pinnedCertificate(pem: string): PinnedCertificate {
  let certificate: X509Certificate
  try {
    certificate = new X509Certificate(pem)
  } catch (error) {
    throw new ProtocolError('BAD_CERTIFICATE', `no PEM certificate could be read (${(error as Error).message})`, { cause: error })
  }
  return { pem: certificate.toString(), fingerprint256: certificate.fingerprint256 }
}

/** What tls.connect (mqtt.js, undici's connector) takes to accept `pinned` and nothing else. */
export interface PinnedTlsOptions {
  readonly ca: string[]
  readonly rejectUnauthorized: true
  checkServerIdentity(host: string, certificate: PeerCertificate): Error | undefined
}

/**
 * OpenSSL checks the chain (the pinned certificate is a root of its own, beside the public ones, so a
 * self-signed certificate and one from a public CA both pass); then only the very certificate pinned
 * is accepted, so its name need not match the address the client dialled (a gateway may reach the
 * hub by any address) and a certificate of another server, however valid, is refused.
 */
export function pinnedTlsOptions(pinned: PinnedCertificate): PinnedTlsOptions {
  return {
    ca: [...rootCertificates, pinned.pem],
    rejectUnauthorized: true,
    checkServerIdentity: (_host, certificate) => certificate.fingerprint256 === pinned.fingerprint256
      ? undefined
      : new ProtocolError('CERT_NOT_PINNED', `the server presented the certificate SHA-256 ${certificate.fingerprint256}, `
        + `not the one pinned (SHA-256 ${pinned.fingerprint256})`),
  }
}

/** OpenSSL's verdicts on a certificate (Node's error codes for them): the server is not the one trusted. */
const CERTIFICATE_VERDICTS: ReadonlySet<string> = new Set([
  'CERT_NOT_PINNED', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_SIGNATURE_FAILURE', 'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED', 'CERT_REVOKED', 'CERT_UNTRUSTED', 'CERT_REJECTED', 'INVALID_CA', 'INVALID_PURPOSE',
  'PATH_LENGTH_EXCEEDED', 'CERT_CHAIN_TOO_LONG', 'HOSTNAME_MISMATCH', 'ERR_TLS_CERT_ALTNAME_INVALID',
])

/**
 * Why the server's certificate was refused ("CODE: message"), when `error` (or an error it wraps, as
 * fetch does) is such a refusal; undefined for any other failure (a refused connection, a timeout).
 */
export function certificateRefusal(error: unknown): string | undefined {
  // fetch wraps the socket's error once ("fetch failed"); a bound keeps a cycle of causes from looping.
  for (let depth = 0, cause = error; depth < 4 && cause instanceof Error; depth++, cause = cause.cause) {
    const code = (cause as { code?: unknown }).code
    if (typeof code === 'string' && CERTIFICATE_VERDICTS.has(code)) return `${code}: ${cause.message}`
  }
  return undefined
}
