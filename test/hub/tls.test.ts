import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ConfigError } from '../../hub/config'
import { loadHubTls } from '../../hub/tls'
import { OPENSSL, opensslFingerprint256, README_OPENSSL_REQ, selfSignedCertificate } from '../helpers/certificates'

function configErrorOf(run: () => unknown): ConfigError {
  try {
    run()
  } catch (error) {
    if (error instanceof ConfigError) return error
    throw error
  }
  throw new Error('expected a ConfigError')
}

t.test('the certificates of these tests are made by the README\'s command', async (t) => {
  const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8')
  t.ok(readme.includes(`openssl ${README_OPENSSL_REQ.join(' ')} -days 3650`), 'the README gives the same openssl command')
})

t.test('without a certificate the hub has no TLS', async (t) => {
  t.equal(loadHubTls({ tlsCertFile: undefined, tlsKeyFile: undefined }), undefined)
})

t.test('TLS with certificates made by the README\'s openssl command', { skip: OPENSSL.skip }, async (t) => {
  t.test('the certificate gateways pin is the file\'s first, with the fingerprint openssl prints', async (t) => {
    const dir = t.testdir()
    const hub = selfSignedCertificate(dir, 'hub')
    const other = selfSignedCertificate(dir, 'other')
    const chainFile = join(dir, 'chain.crt')
    writeFileSync(chainFile, hub.pem + other.pem)
    const tls = loadHubTls({ tlsCertFile: chainFile, tlsKeyFile: hub.keyFile })!
    t.equal(tls.certificate.fingerprint256, opensslFingerprint256(hub.certFile))
    t.equal(tls.certificate.pem.trim(), hub.pem.trim(), 'the hub\'s own certificate alone')
    t.equal(tls.certificateChainPem, hub.pem + other.pem, 'the whole chain is served')
  })

  t.test('a file that cannot be read is named, with its option', async (t) => {
    const dir = t.testdir()
    const hub = selfSignedCertificate(dir, 'hub')
    const missing = join(dir, 'nowhere.crt')
    const error = configErrorOf(() => loadHubTls({ tlsCertFile: missing, tlsKeyFile: hub.keyFile }))
    t.equal(error.code, 'BAD_OPTION')
    t.equal(error.field, 'PAYALL_TLS_CERT')
    t.equal(error.message, `--tls-cert (PAYALL_TLS_CERT): ${missing} cannot be read (ENOENT)`)
  })

  t.test('a certificate and a key swapped are told apart from a missing file', async (t) => {
    const dir = t.testdir()
    const hub = selfSignedCertificate(dir, 'hub')
    const error = configErrorOf(() => loadHubTls({ tlsCertFile: hub.keyFile, tlsKeyFile: hub.certFile }))
    t.equal(error.code, 'BAD_OPTION')
    t.equal(error.field, 'PAYALL_TLS_CERT')
    t.match(error.message, `--tls-cert (PAYALL_TLS_CERT): ${hub.keyFile} holds no PEM certificate`)
  })

  t.test('a key that is not the certificate\'s is refused, naming both files', async (t) => {
    const dir = t.testdir()
    const hub = selfSignedCertificate(dir, 'hub')
    const other = selfSignedCertificate(dir, 'other')
    const error = configErrorOf(() => loadHubTls({ tlsCertFile: hub.certFile, tlsKeyFile: other.keyFile }))
    t.equal(error.code, 'CONFLICTING_OPTIONS')
    t.equal(error.field, 'PAYALL_TLS_KEY')
    t.equal(error.message,
      `--tls-key (PAYALL_TLS_KEY): the key in ${other.keyFile} is not the key of the certificate in ${hub.certFile}, --tls-cert (PAYALL_TLS_CERT)`)
  })
})
