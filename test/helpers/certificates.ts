// Self-signed certificates a test makes as it runs, with the openssl one-liner the README gives
// operators (a P-256 key, the hub's address as an IP subjectAltName), so that command is tested too.

import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { requiredProgram } from './required-program'

/** openssl, which .ci/run installs when missing; elsewhere its tests skip and say so. */
export const OPENSSL = requiredProgram('openssl', ['/usr/bin/openssl', '/bin/openssl', '/usr/local/bin/openssl'], 'apt-get install openssl')

/** The README's command up to its choices of validity, files and names (test/hub/tls.test.ts holds the README to it). */
export const README_OPENSSL_REQ = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes']

export interface TestCertificate {
  readonly certFile: string
  readonly keyFile: string
  /** The certificate's PEM, as written. */
  readonly pem: string
}

/** `<dir>/<name>.crt` and `<dir>/<name>.key`: a fresh key and a certificate for 127.0.0.1, valid a day. */
export function selfSignedCertificate(dir: string, name: string): TestCertificate {
  const certFile = join(dir, `${name}.crt`)
  const keyFile = join(dir, `${name}.key`)
  execFileSync(OPENSSL.path ?? 'openssl', [
    ...README_OPENSSL_REQ, '-days', '1', '-keyout', keyFile, '-out', certFile, '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
  ], { stdio: 'ignore' })
  return { certFile, keyFile, pem: readFileSync(certFile, 'utf8') }
}

/** The fingerprint as `openssl x509 -fingerprint -sha256` prints it, to hold the hub's own against. */
export function opensslFingerprint256(certFile: string): string {
  const printed = execFileSync(OPENSSL.path ?? 'openssl', ['x509', '-noout', '-fingerprint', '-sha256', '-in', certFile], { encoding: 'utf8' })
  return printed.trim().replace(/^.*=/, '')
}
