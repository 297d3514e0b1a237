import t from 'tap'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { main } from '../../../hub/cli'
import { capturedIo, type CapturedIo } from '../helpers/cli-io'
import { CONFIG_OPTIONS } from '../../../hub/config'
import { OPENSSL, opensslFingerprint256, selfSignedCertificate } from '../../helpers/certificates'

const QUIET = { PAYALL_LOG_LEVEL: 'silent', PAYALL_HTTP_HOST: '127.0.0.1', PAYALL_HTTP_PORT: '0', PAYALL_MQTT_HOST: '127.0.0.1', PAYALL_MQTT_PORT: '0' }

t.test('--help lists every option and exits 0 without starting anything', async (t) => {
  const io = capturedIo(async () => {
    throw new Error('--help must not start the hub')
  })
  t.equal(await main(['--help'], {}, io), 0)
  for (const option of CONFIG_OPTIONS) {
    t.match(io.out, option.env)
    if (option.flag !== undefined) t.match(io.out, `--${option.flag}`)
  }
  for (const command of ['reset-operator', 'deploy-anchor', 'verify-proof', 'publish-update', 'broker-setup --dir DIR', 'import']) {
    t.match(io.out, `payall-hub ${command}`)
  }
  t.equal(io.err, '')
})

t.test('broker-setup is a command of its own: without --dir it exits 2 and starts nothing', async (t) => {
  const io = capturedIo(async () => {
    throw new Error('broker-setup must not start the hub')
  })
  t.equal(await main(['broker-setup'], {}, io), 2)
  t.match(io.err, /^payall-hub broker-setup: BAD_OPTION: --dir DIR is required/)
})

t.test('a bad option exits 2 with a message naming it', async (t) => {
  const io = capturedIo()
  t.equal(await main(['--data-dir', t.testdir()], { ...QUIET, PAYALL_MQTT_PORT: 'abc' }, io), 2)
  t.equal(io.err, "payall-hub: BAD_OPTION: PAYALL_MQTT_PORT must be an integer 0–65535, got 'abc'\n", 'the code once, then the message')
  t.equal(io.out, '')

  const unknown = capturedIo()
  t.equal(await main(['--http-prot', '80'], {}, unknown), 2)
  t.match(unknown.err, /--http-prot/)
})

t.test('the hub prints its URLs and the generated operator password once, then stops with 0', async (t) => {
  const dataDir = t.testdir()
  let healthStatus = 0
  const first = capturedIo(async (out) => {
    const httpUrl = /HTTP API +(\S+)/.exec(out)![1]!
    healthStatus = (await fetch(`${httpUrl}/health`)).status
  })
  t.equal(await main(['--data-dir', dataDir], QUIET, first), 0)
  t.equal(healthStatus, 200, 'the printed URL serves')
  t.match(first.out, /HTTP API +http:\/\/127\.0\.0\.1:\d+\n/)
  t.match(first.out, /API docs +http:\/\/127\.0\.0\.1:\d+\/docs\n/)
  t.match(first.out, /MQTT +mqtt:\/\/127\.0\.0\.1:\d+\n/)
  const password = /password: (\S+)/.exec(first.out)?.[1]
  t.match(password, /^[A-Za-z0-9_-]{24}$/)
  t.match(first.out, /operator@payall\.local/)
  t.match(first.out, /SIGTERM, stopping/)
  t.equal(first.err, '')

  const second = capturedIo()
  t.equal(await main(['--data-dir', dataDir], QUIET, second), 0)
  // Not /password/ alone: the banner names the database file, under a test folder named after this test.
  t.notMatch(second.out, /password: /, 'the password is shown on the first start only')
})

t.test('a hub that cannot start exits 1 with the reason', async (t) => {
  const dataDir = t.testdir({ 'hub.sqlite': 'this is not a database' })
  const io = capturedIo()
  t.equal(await main(['--data-dir', dataDir], QUIET, io), 1)
  t.match(io.err, /^payall-hub: cannot start: /)
})

t.test('options that do not fit together exit 2 before anything starts', async (t) => {
  const cases: Array<[string, Record<string, string>, RegExp]> = [
    ['LoRa without its application', { PAYALL_LORA_MQTT_URL: 'mqtt://127.0.0.1:1' },
      /^payall-hub: MISSING_OPTION: PAYALL_LORA_MQTT_URL needs --lora-application \(PAYALL_LORA_APPLICATION\)/],
    ['anchoring without its key and contract', { PAYALL_CHAIN_RPC: 'http://127.0.0.1:1' },
      /^payall-hub: MISSING_OPTION: PAYALL_CHAIN_RPC needs PAYALL_CHAIN_KEY and --anchor-address \(PAYALL_ANCHOR_ADDRESS\) too/],
  ]
  for (const [what, env, message] of cases) {
    const dataDir = join(t.testdir(), 'hub')
    const io = capturedIo(async () => {
      throw new Error(`${what}: the hub must not start`)
    })
    t.equal(await main(['--data-dir', dataDir], { ...QUIET, ...env }, io), 2, what)
    t.match(io.err, message, what)
    t.equal(io.out, '', `${what}: no banner`)
    t.notOk(existsSync(dataDir), `${what}: not even the data directory was made`)
  }
})

t.test('a coded error that stops the start is printed once with its code', async (t) => {
  const dataDir = t.testdir()
  writeFileSync(join(dataDir, 'hub-key'), 'short', { mode: 0o644 })
  const io = capturedIo()
  t.equal(await main(['--data-dir', dataDir], QUIET, io), 1)
  t.match(io.err, /^payall-hub: cannot start: KEY_FILE_EXPOSED: \S+hub-key has mode 0644; make it readable by its owner only \(chmod 600\)\n$/)
  t.equal(io.err.split('KEY_FILE_EXPOSED').length - 1, 1, 'the code once')
})

const FREE_PORTS = { PAYALL_LOG_LEVEL: 'silent', PAYALL_HTTP_PORT: '0', PAYALL_MQTT_PORT: '0' }

t.test('by default the hub listens on 127.0.0.1 only, and the banner says how to listen publicly', async (t) => {
  const io = capturedIo()
  t.equal(await main(['--data-dir', t.testdir()], FREE_PORTS, io), 0)
  t.match(io.out, /HTTP API +http:\/\/127\.0\.0\.1:\d+\n/)
  t.match(io.out, /MQTT +mqtt:\/\/127\.0\.0\.1:\d+\n/)
  t.match(io.out, /Listening on this machine only[\s\S]*--http-host 0\.0\.0\.0 --mqtt-host 0\.0\.0\.0/)
  t.equal(io.err, '', 'no warning on loopback')
  t.match(io.out, /SIGTERM, stopping…\n/)
})

t.test('a hub listening on every interface without TLS says so in a warning line per listener', async (t) => {
  const io = capturedIo()
  t.equal(await main(['--data-dir', t.testdir(), '--http-host', '0.0.0.0', '--mqtt-host', '0.0.0.0'], FREE_PORTS, io), 0)
  t.notMatch(io.out, /Listening on this machine only/)
  t.match(io.err, /^payall-hub: warning: the REST API listens on 0\.0\.0\.0 without TLS: start with --tls-cert and --tls-key, or put a TLS-terminating proxy in front/m)
  t.match(io.err, /^payall-hub: warning: the MQTT broker listens on 0\.0\.0\.0 without TLS/m)
})

t.test('a hub with a certificate and its key', { skip: OPENSSL.skip }, async (t) => {
  const certificates = t.testdir()
  const hub = selfSignedCertificate(certificates, 'hub')
  const other = selfSignedCertificate(certificates, 'other')
  const tlsFlags = ['--tls-cert', hub.certFile, '--tls-key', hub.keyFile]

  t.test('serves HTTPS and mqtts, says TLS is on with the fingerprint gateways pin, and warns of nothing on every interface', async (t) => {
    const io = capturedIo()
    const argv = ['--data-dir', t.testdir(), ...tlsFlags, '--http-host', '0.0.0.0', '--mqtt-host', '0.0.0.0']
    t.equal(await main(argv, FREE_PORTS, io), 0)
    t.match(io.out, /HTTP API +https:\/\/127\.0\.0\.1:\d+\n/)
    t.match(io.out, /MQTT +mqtts:\/\/127\.0\.0\.1:\d+\n/)
    t.match(io.out, `TLS       on, certificate SHA-256 ${opensslFingerprint256(hub.certFile)} (gateways pin it when provisioned)\n`)
    t.equal(io.err, '', 'no warning: nothing crosses the network in clear')
  })

  t.test('on loopback the banner does not ask for TLS it has', async (t) => {
    const io = capturedIo()
    t.equal(await main(['--data-dir', t.testdir(), ...tlsFlags], FREE_PORTS, io), 0)
    t.match(io.out, /Listening on this machine only[\s\S]*--http-host 0\.0\.0\.0 --mqtt-host 0\.0\.0\.0\.\n/)
  })

  t.test('without TLS the banner says it is off', async (t) => {
    const io = capturedIo()
    t.equal(await main(['--data-dir', t.testdir()], FREE_PORTS, io), 0)
    t.match(io.out, /TLS +off \(--tls-cert, --tls-key\)\n/)
    t.match(io.out, /with TLS \(README, The hub: TLS\)/)
  })

  t.test('a certificate without its key, a missing file or a key of another certificate exits 2, naming it, before anything starts', async (t) => {
    const cases: Array<[string, string[], Record<string, string>, string]> = [
      ['a certificate alone', ['--tls-cert', hub.certFile], {},
        'payall-hub: MISSING_OPTION: --tls-cert needs --tls-key (PAYALL_TLS_KEY) too: TLS takes a certificate and its key, or neither\n'],
      ['a key alone', [], { PAYALL_TLS_KEY: hub.keyFile },
        'payall-hub: MISSING_OPTION: PAYALL_TLS_KEY needs --tls-cert (PAYALL_TLS_CERT) too: TLS takes a certificate and its key, or neither\n'],
      ['a certificate file that is not there', ['--tls-cert', join(certificates, 'missing.crt'), '--tls-key', hub.keyFile], {},
        `payall-hub: BAD_OPTION: --tls-cert (PAYALL_TLS_CERT): ${join(certificates, 'missing.crt')} cannot be read (ENOENT)\n`],
      ['the key of another certificate', ['--tls-cert', hub.certFile, '--tls-key', other.keyFile], {},
        `payall-hub: CONFLICTING_OPTIONS: --tls-key (PAYALL_TLS_KEY): the key in ${other.keyFile} is not the key of the certificate in `
          + `${hub.certFile}, --tls-cert (PAYALL_TLS_CERT)\n`],
    ]
    for (const [what, argv, env, message] of cases) {
      const dataDir = join(t.testdir(), 'hub')
      const io = capturedIo(async () => {
        throw new Error(`${what}: the hub must not start`)
      })
      t.equal(await main(['--data-dir', dataDir, ...argv], { ...FREE_PORTS, ...env }, io), 2, what)
      t.equal(io.err, message, what)
      t.equal(io.out, '', `${what}: no banner`)
      t.notOk(existsSync(dataDir), `${what}: not even the data directory was made`)
    }
  })
})

t.test('a second hub on a data folder in use is refused with the folder and the first one\'s pid', async (t) => {
  const dataDir = t.testdir()
  let second: CapturedIo | undefined
  let secondCode: number | undefined
  const first = capturedIo(async () => {
    second = capturedIo(async () => {
      throw new Error('the second hub must not start')
    })
    secondCode = await main(['--data-dir', dataDir], QUIET, second)
  })
  t.equal(await main(['--data-dir', dataDir], QUIET, first), 0)
  t.equal(secondCode, 1)
  t.equal(second!.err, `payall-hub: cannot start: DATA_DIR_IN_USE: ${dataDir} is in use by process ${process.pid}; stop it first, or give another --data-dir\n`)
  t.equal(second!.out, '')
  t.notOk(existsSync(join(dataDir, 'payall.lock')), 'the first hub let go of the folder when it stopped')
  t.equal(await main(['--data-dir', dataDir], QUIET, capturedIo()), 0, 'and a hub starts on it again')
})

async function loginStatus(out: string, email: string, password: string): Promise<number> {
  const httpUrl = /HTTP API +(\S+)/.exec(out)![1]!
  const response = await fetch(`${httpUrl}/users/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }),
  })
  return response.status
}

t.test('a lost operator password: reset-operator sets a new one with the hub stopped; a differing PAYALL_OPERATOR_PASSWORD is warned about', async (t) => {
  const dataDir = t.testdir()
  const first = capturedIo()
  t.equal(await main(['--data-dir', dataDir], QUIET, first), 0)
  const lost = /password: (\S+)/.exec(first.out)![1]!

  const ignored = capturedIo()
  t.equal(await main(['--data-dir', dataDir], { ...QUIET, PAYALL_OPERATOR_PASSWORD: 'a password set too late' }, ignored), 0)
  t.match(ignored.err, /^payall-hub: warning: PAYALL_OPERATOR_PASSWORD is not the operator's password and is ignored: .*payall-hub reset-operator\n$/)

  let whileRunning: CapturedIo | undefined
  let whileRunningCode: number | undefined
  t.equal(await main(['--data-dir', dataDir], QUIET, capturedIo(async () => {
    whileRunning = capturedIo()
    whileRunningCode = await main(['reset-operator', '--data-dir', dataDir], {}, whileRunning)
  })), 0)
  t.equal(whileRunningCode, 1, 'not while the hub runs')
  t.match(whileRunning!.err, /^payall-hub reset-operator: DATA_DIR_IN_USE: .* \(a running hub: stop it, then reset\)\n$/)

  const reset = capturedIo()
  t.equal(await main(['reset-operator', '--data-dir', dataDir], { PAYALL_OPERATOR_PASSWORD: 'the new password 44' }, reset), 0)
  t.match(reset.out, 'Set the password of operator@payall.local to PAYALL_OPERATOR_PASSWORD')

  const generated = capturedIo()
  t.equal(await main(['reset-operator', '--data-dir', dataDir], {}, generated), 0)
  const fresh = /New password of operator@payall\.local: (\S+)/.exec(generated.out)![1]!

  const statuses: number[] = []
  const after = capturedIo(async out => {
    statuses.push(await loginStatus(out, 'operator@payall.local', lost), await loginStatus(out, 'operator@payall.local', fresh))
  })
  t.equal(await main(['--data-dir', dataDir], QUIET, after), 0)
  t.same(statuses, [401, 200], 'the lost password no longer opens the account; the new one does')

  const nobody = capturedIo()
  t.equal(await main(['reset-operator', '--data-dir', dataDir], { PAYALL_OPERATOR_EMAIL: 'who@payall.example' }, nobody), 1)
  t.match(nobody.err, /NO_OPERATOR: who@payall\.example is not an operator account/)
  const noHub = capturedIo()
  t.equal(await main(['reset-operator', '--data-dir', join(dataDir, 'none')], {}, noHub), 1)
  t.match(noHub.err, /NO_HUB: .* holds no hub database/)
  t.notOk(existsSync(join(dataDir, 'none')), 'nothing made where no hub was')
})
