// The hub's TLS certificate and key (--tls-cert, --tls-key), read and checked once, before anything
// starts: the REST API serves them over HTTPS, the embedded broker over mqtts, and provisioning hands
// the certificate to each gateway, which pins it (protocol/tls-pin.ts).

import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createSecureContext } from 'node:tls'
import { pinnedCertificate } from '../protocol/tls-pin'
import { ConfigError, optionNaming, type HubConfig } from './config'
import type { HubTls } from './context'

/**
 * The certificate and key of the configuration, or undefined when it sets neither (parseConfig and
 * checkConfig refuse one alone). A file that cannot be read, holds no certificate or no key, or a key
 * that is not the certificate's, is a ConfigError naming the option and the file: the hub reads them
 * before it locks its data folder, so such a start stops with nothing opened.
 */
export function loadHubTls(config: Pick<HubConfig, 'tlsCertFile' | 'tlsKeyFile'>): HubTls | undefined {
  const { tlsCertFile, tlsKeyFile } = config
  if (tlsCertFile === undefined || tlsKeyFile === undefined) return undefined
  const certificateChainPem = readPem('tlsCertFile', tlsCertFile)
  const keyPem = readPem('tlsKeyFile', tlsKeyFile)
  const certificate = parsed('tlsCertFile', tlsCertFile, () => new X509Certificate(certificateChainPem), 'holds no PEM certificate')
  const key = parsed('tlsKeyFile', tlsKeyFile, () => createPrivateKey(keyPem), 'holds no unencrypted PEM private key')
  if (!matches(certificate, key)) {
    const names = optionNaming('tlsKeyFile')
    throw new ConfigError('CONFLICTING_OPTIONS', names.field, `${names.label}: the key in ${tlsKeyFile} is not the key of `
      + `the certificate in ${tlsCertFile}, ${optionNaming('tlsCertFile').label}`)
  }
  // What OpenSSL itself refuses to serve (a chain it cannot read, a key type it cannot use) stops the start here, not at listen.
  parsed('tlsCertFile', tlsCertFile, () => createSecureContext({ cert: certificateChainPem, key: keyPem }), 'cannot be served with its key')
  return { certificateChainPem, keyPem, certificate: pinnedCertificate(certificate.toString()) }
}

function readPem(field: 'tlsCertFile' | 'tlsKeyFile', path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch (error) {
    const { field: name, label } = optionNaming(field)
    throw new ConfigError('BAD_OPTION', name, `${label}: ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`)
  }
}

function parsed<T>(field: 'tlsCertFile' | 'tlsKeyFile', path: string, parse: () => T, problem: string): T {
  try {
    return parse()
  } catch (error) {
    const { field: name, label } = optionNaming(field)
    throw new ConfigError('BAD_OPTION', name, `${label}: ${path} ${problem} (${(error as Error).message})`)
  }
}

function matches(certificate: X509Certificate, key: KeyObject): boolean {
  try {
    return certificate.checkPrivateKey(key)
  } catch {
    // A key of another type than the certificate's (an RSA key beside an Ed25519 certificate).
    return false
  }
}
