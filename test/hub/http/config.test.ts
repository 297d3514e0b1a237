import t from 'tap'
import { CONFIG_OPTIONS, ConfigError, defaultText, helpText, parseConfig, parseConfigFields } from '../../../hub/config'

function configErrorOf(run: () => unknown): ConfigError {
  try {
    run()
  } catch (error) {
    if (error instanceof ConfigError) return error
    throw error
  }
  throw new Error('expected a ConfigError')
}

t.test('defaults apply when neither flags nor environment say anything', async (t) => {
  t.same(parseConfig([], {}), {
    dataDir: './data',
    databaseBusyTimeout_ms: 5_000,
    httpPort: 3001,
    httpHost: '127.0.0.1',
    httpHeadersTimeout_ms: 10_000,
    httpRequestTimeout_ms: 60_000,
    httpConnectionTimeout_ms: 60_000,
    httpKeepAliveTimeout_ms: 10_000,
    httpConnectionsMax: 1_000,
    tlsCertFile: undefined,
    tlsKeyFile: undefined,
    trustProxy: [],
    mqttPort: 1883,
    mqttHost: '127.0.0.1',
    mqttUrl: undefined,
    mqttLogins: 'broker',
    operatorEmail: undefined,
    operatorPassword: undefined,
    jwtSecret: undefined,
    logLevel: 'info',
    corsOrigins: [],
    chainRpcUrl: undefined,
    chainKey: undefined,
    anchorAddress: undefined,
    anchorBatchMax: 1000,
    anchorBatchAge_ms: 60000,
    anchorConfirmations: 1,
    anchorMaxFeeGwei: 200,
    anchorTick_ms: 5000,
    explorerUrl: undefined,
    loraMqttUrl: undefined,
    loraFormat: 'chirpstack',
    loraApplication: undefined,
    loraUsername: undefined,
    loraPassword: undefined,
    loraUplinkPort: 10,
    loraDownlinkPort: 11,
    loraCatchUpDownlinksPerReport: 1,
    voucherLimitMin_minor: 100,
    vouchersOpenPerDeviceMax: 2,
    vouchersOpenPerCustomerMax: 4,
    vouchersIssuedPerWindowMax: 8,
    voucherRevocationsPerWindowMax: 4,
    voucherWindow_ms: 86_400_000,
    revocableVouchersMax: 65_536,
    phoneRegion: 'SN',
  })
})

t.test('every flag and its environment variable give the same configuration', async (t) => {
  const pairs: Array<[string, string, string]> = [
    ['data-dir', 'PAYALL_DATA_DIR', '/var/lib/payall'],
    ['http-port', 'PAYALL_HTTP_PORT', '8080'],
    ['http-host', 'PAYALL_HTTP_HOST', '127.0.0.1'],
    ['http-headers-timeout-ms', 'PAYALL_HTTP_HEADERS_TIMEOUT_MS', '5000'],
    ['http-request-timeout-ms', 'PAYALL_HTTP_REQUEST_TIMEOUT_MS', '120000'],
    ['http-connection-timeout-ms', 'PAYALL_HTTP_CONNECTION_TIMEOUT_MS', '90000'],
    ['http-keep-alive-timeout-ms', 'PAYALL_HTTP_KEEP_ALIVE_TIMEOUT_MS', '75000'],
    ['http-connections-max', 'PAYALL_HTTP_CONNECTIONS_MAX', '4096'],
    ['trust-proxy', 'PAYALL_TRUST_PROXY', '127.0.0.1, 10.0.0.0/8, ::1, fd00::/8'],
    ['tls-cert', 'PAYALL_TLS_CERT', '/etc/payall/hub.crt'],
    ['tls-key', 'PAYALL_TLS_KEY', '/etc/payall/hub.key'],
    ['mqtt-port', 'PAYALL_MQTT_PORT', '8883'],
    ['mqtt-host', 'PAYALL_MQTT_HOST', '::'],
    ['mqtt-url', 'PAYALL_MQTT_URL', 'mqtts://broker.example:8883'],
    ['anchor-batch-max', 'PAYALL_ANCHOR_BATCH_MAX', '5000'],
    ['anchor-batch-age-ms', 'PAYALL_ANCHOR_BATCH_AGE_MS', '1000'],
    ['anchor-confirmations', 'PAYALL_ANCHOR_CONFIRMATIONS', '3'],
    ['anchor-max-fee-gwei', 'PAYALL_ANCHOR_MAX_FEE_GWEI', '50'],
    ['anchor-tick-ms', 'PAYALL_ANCHOR_TICK_MS', '250'],
    ['log-level', 'PAYALL_LOG_LEVEL', 'debug'],
    ['cors-origin', 'PAYALL_CORS_ORIGIN', 'https://shop.example, http://localhost:5173'],
    ['chain-rpc', 'PAYALL_CHAIN_RPC', 'http://127.0.0.1:8545'],
    ['anchor-address', 'PAYALL_ANCHOR_ADDRESS', `0x${'ab'.repeat(20)}`],
    ['explorer-url', 'PAYALL_EXPLORER_URL', 'https://sepolia.etherscan.io'],
    ['lora-mqtt-url', 'PAYALL_LORA_MQTT_URL', 'mqtts://eu1.cloud.thethings.network:8883'],
    ['lora-format', 'PAYALL_LORA_FORMAT', 'tts'],
    ['lora-application', 'PAYALL_LORA_APPLICATION', 'payall@ttn'],
    ['lora-username', 'PAYALL_LORA_USERNAME', 'payall@ttn'],
    ['lora-uplink-port', 'PAYALL_LORA_UPLINK_PORT', '20'],
    ['lora-downlink-port', 'PAYALL_LORA_DOWNLINK_PORT', '21'],
    ['phone-region', 'PAYALL_PHONE_REGION', 'ci'],
    ['lora-catch-up-downlinks-per-report', 'PAYALL_LORA_CATCH_UP_DOWNLINKS_PER_REPORT', '4'],
    ['voucher-limit-min-minor', 'PAYALL_VOUCHER_LIMIT_MIN_MINOR', '500'],
    ['vouchers-open-per-device-max', 'PAYALL_VOUCHERS_OPEN_PER_DEVICE_MAX', '3'],
    ['vouchers-open-per-customer-max', 'PAYALL_VOUCHERS_OPEN_PER_CUSTOMER_MAX', '6'],
    ['vouchers-issued-per-window-max', 'PAYALL_VOUCHERS_ISSUED_PER_WINDOW_MAX', '12'],
    ['voucher-revocations-per-window-max', 'PAYALL_VOUCHER_REVOCATIONS_PER_WINDOW_MAX', '5'],
    ['voucher-window-ms', 'PAYALL_VOUCHER_WINDOW_MS', '3600000'],
    ['revocable-vouchers-max', 'PAYALL_REVOCABLE_VOUCHERS_MAX', '10000'],
  ]
  // The secrets these options need beside them (anchoring takes its key, The Things Stack a password) are environment only.
  const secrets = { PAYALL_CHAIN_KEY: `0x${'11'.repeat(32)}`, PAYALL_LORA_PASSWORD: 'NNSXS.KEY' }
  const fromFlags = parseConfig(pairs.flatMap(([flag, , value]) => [`--${flag}`, value]), secrets)
  const fromEnv = parseConfig([], { ...secrets, ...Object.fromEntries(pairs.map(([, env, value]) => [env, value])) })
  t.same(fromFlags, fromEnv)
  t.equal(fromFlags.httpPort, 8080)
  t.equal(fromFlags.logLevel, 'debug')
  t.same(fromFlags.corsOrigins, ['https://shop.example', 'http://localhost:5173'])
  t.equal(fromFlags.phoneRegion, 'CI', 'a region code in any case')
  t.same(fromFlags.trustProxy, ['127.0.0.1', '10.0.0.0/8', '::1', 'fd00::/8'])
  t.equal(fromFlags.httpRequestTimeout_ms, 120_000)
})

t.test('a flag wins over its environment variable', async (t) => {
  const config = parseConfig(['--http-port', '4000', '--data-dir=/flag/dir'], {
    PAYALL_HTTP_PORT: '5000',
    PAYALL_DATA_DIR: '/env/dir',
    PAYALL_MQTT_PORT: '1884',
  })
  t.equal(config.httpPort, 4000)
  t.equal(config.dataDir, '/flag/dir')
  t.equal(config.mqttPort, 1884, 'the variable still applies where no flag is given')
})

t.test('secrets come from the environment only', async (t) => {
  const config = parseConfig([], {
    PAYALL_OPERATOR_EMAIL: ' Ops@Example.COM ',
    PAYALL_OPERATOR_PASSWORD: 'correct horse battery staple',
    PAYALL_JWT_SECRET: 'x'.repeat(40),
    PAYALL_CHAIN_KEY: `0x${'11'.repeat(32)}`,
    PAYALL_CHAIN_RPC: 'http://127.0.0.1:8545',
    PAYALL_ANCHOR_ADDRESS: `0x${'ab'.repeat(20)}`,
  })
  t.equal(config.operatorEmail, 'ops@example.com')
  t.equal(config.operatorPassword, 'correct horse battery staple')
  t.equal(config.jwtSecret, 'x'.repeat(40))
  t.equal(config.chainKey, `0x${'11'.repeat(32)}`)
  for (const flag of ['--operator-password', '--jwt-secret', '--chain-key']) {
    t.equal(configErrorOf(() => parseConfig([flag, 'secret-value-123'], {})).field, flag)
  }
})

t.test('an empty environment variable counts as unset', async (t) => {
  t.equal(parseConfig([], { PAYALL_HTTP_PORT: '' }).httpPort, 3001)
  t.equal(parseConfig([], { PAYALL_MQTT_URL: '' }).mqttUrl, undefined)
})

t.test('a bad value names the variable or flag it came from', async (t) => {
  const fromEnv = configErrorOf(() => parseConfig([], { PAYALL_HTTP_PORT: 'abc' }))
  t.equal(fromEnv.field, 'PAYALL_HTTP_PORT')
  t.equal(fromEnv.message, "PAYALL_HTTP_PORT must be an integer 0–65535, got 'abc'")

  const fromFlag = configErrorOf(() => parseConfig(['--http-port', '70000'], {}))
  t.equal(fromFlag.field, '--http-port')
  t.equal(fromFlag.message, "--http-port must be an integer 0–65535, got '70000'")

  const cases: Array<[Record<string, string>, string]> = [
    [{ PAYALL_MQTT_PORT: '-1' }, 'PAYALL_MQTT_PORT'],
    [{ PAYALL_MQTT_PORT: '1.5' }, 'PAYALL_MQTT_PORT'],
    [{ PAYALL_MQTT_URL: 'http://broker' }, 'PAYALL_MQTT_URL'],
    [{ PAYALL_LOG_LEVEL: 'loud' }, 'PAYALL_LOG_LEVEL'],
    [{ PAYALL_CORS_ORIGIN: 'https://shop.example/path' }, 'PAYALL_CORS_ORIGIN'],
    [{ PAYALL_CORS_ORIGIN: '*,https://shop.example' }, 'PAYALL_CORS_ORIGIN'],
    [{ PAYALL_OPERATOR_EMAIL: 'not-an-email' }, 'PAYALL_OPERATOR_EMAIL'],
    [{ PAYALL_OPERATOR_PASSWORD: 'short' }, 'PAYALL_OPERATOR_PASSWORD'],
    [{ PAYALL_JWT_SECRET: 'too-short' }, 'PAYALL_JWT_SECRET'],
    [{ PAYALL_CHAIN_RPC: 'ftp://node' }, 'PAYALL_CHAIN_RPC'],
    [{ PAYALL_CHAIN_KEY: '0x1234' }, 'PAYALL_CHAIN_KEY'],
    [{ PAYALL_ANCHOR_ADDRESS: '0xnothex' }, 'PAYALL_ANCHOR_ADDRESS'],
    [{ PAYALL_HTTP_HOST: '  ' }, 'PAYALL_HTTP_HOST'],
    [{ PAYALL_PHONE_REGION: 'XX' }, 'PAYALL_PHONE_REGION'],
    [{ PAYALL_PHONE_REGION: 'Senegal' }, 'PAYALL_PHONE_REGION'],
    [{ PAYALL_VOUCHER_LIMIT_MIN_MINOR: '0' }, 'PAYALL_VOUCHER_LIMIT_MIN_MINOR'],
    [{ PAYALL_VOUCHER_WINDOW_MS: '1000' }, 'PAYALL_VOUCHER_WINDOW_MS'],
    [{ PAYALL_REVOCABLE_VOUCHERS_MAX: '65537' }, 'PAYALL_REVOCABLE_VOUCHERS_MAX'],
    [{ PAYALL_HTTP_REQUEST_TIMEOUT_MS: '0' }, 'PAYALL_HTTP_REQUEST_TIMEOUT_MS'],
    [{ PAYALL_HTTP_HEADERS_TIMEOUT_MS: '99' }, 'PAYALL_HTTP_HEADERS_TIMEOUT_MS'],
    [{ PAYALL_HTTP_CONNECTION_TIMEOUT_MS: '3600001' }, 'PAYALL_HTTP_CONNECTION_TIMEOUT_MS'],
    [{ PAYALL_HTTP_KEEP_ALIVE_TIMEOUT_MS: '1e4' }, 'PAYALL_HTTP_KEEP_ALIVE_TIMEOUT_MS'],
    [{ PAYALL_HTTP_CONNECTIONS_MAX: '0' }, 'PAYALL_HTTP_CONNECTIONS_MAX'],
    [{ PAYALL_TRUST_PROXY: 'proxy.example' }, 'PAYALL_TRUST_PROXY'],
    [{ PAYALL_TRUST_PROXY: '10.0.0.0/33' }, 'PAYALL_TRUST_PROXY'],
    [{ PAYALL_TRUST_PROXY: '10.0.0.0/8/8' }, 'PAYALL_TRUST_PROXY'],
    [{ PAYALL_TRUST_PROXY: ' , ' }, 'PAYALL_TRUST_PROXY'],
    [{ ...CHAIN, PAYALL_EXPLORER_URL: 'ftp://etherscan.io' }, 'PAYALL_EXPLORER_URL'],
    [{ ...CHAIN, PAYALL_EXPLORER_URL: 'etherscan.io' }, 'PAYALL_EXPLORER_URL'],
    [{ ...CHAIN, PAYALL_EXPLORER_URL: 'https://etherscan.io/?chain=1' }, 'PAYALL_EXPLORER_URL'],
    [{ ...CHAIN, PAYALL_EXPLORER_URL: 'https://etherscan.io/?' }, 'PAYALL_EXPLORER_URL'],
    [{ ...CHAIN, PAYALL_EXPLORER_URL: 'https://etherscan.io/#tx' }, 'PAYALL_EXPLORER_URL'],
    [{ ...CHAIN, PAYALL_EXPLORER_URL: 'https://user:secret@explorer.example' }, 'PAYALL_EXPLORER_URL'],
  ]
  for (const [env, field] of cases) {
    const error = configErrorOf(() => parseConfig([], env))
    t.equal(error.field, field, `${JSON.stringify(env)} names ${field}`)
    t.match(error.message, new RegExp(`^${field} `))
  }
})

t.test('a secret with a bad value is not echoed in the error', async (t) => {
  const password = configErrorOf(() => parseConfig([], { PAYALL_OPERATOR_PASSWORD: 'hunter2' }))
  t.notMatch(password.message, /hunter2/)
  const key = configErrorOf(() => parseConfig([], { PAYALL_CHAIN_KEY: '0xdeadbeef' }))
  t.notMatch(key.message, /deadbeef/)
})

t.test('an unknown flag, a missing value or a positional argument is refused', async (t) => {
  t.equal(configErrorOf(() => parseConfig(['--http-prot', '1'], {})).field, '--http-prot')
  t.equal(configErrorOf(() => parseConfig(['--http-port'], {})).field, '--http-port')
  t.equal(configErrorOf(() => parseConfig(['serve'], {})).field, 'serve')
})

t.test('help lists every option with its variable and default', async (t) => {
  const help = helpText('payall-hub')
  for (const option of CONFIG_OPTIONS) {
    t.match(help, option.env, `${option.env} is listed`)
    if (option.flag !== undefined) {
      const line = help.split('\n').find((candidate) => candidate.includes(`--${option.flag} `))
      t.ok(line, `--${option.flag} is listed`)
      t.match(line!, option.env, `--${option.flag} sits beside ${option.env}`)
      const shown = defaultText(option)
      if (shown !== undefined) t.match(line!, `default ${shown})`)
    }
  }
  t.match(help, '--help')
  t.match(help, /--phone-region REGION {2}\(PAYALL_PHONE_REGION, default SN\)\n.*SN \(Senegal, \+221\)/, 'says why the default is SN')
})

t.test('help shows each default from the value parseConfig applies, lists as none', async (t) => {
  const defaults = parseConfig([], {})
  const help = helpText('payall-hub')
  t.match(help, '--http-port PORT  (PAYALL_HTTP_PORT, default 3001)')
  t.match(help, '--anchor-max-fee-gwei GWEI  (PAYALL_ANCHOR_MAX_FEE_GWEI, default 200)')
  t.match(help, '--trust-proxy ADDRESSES  (PAYALL_TRUST_PROXY, default none)')
  t.match(help, '--cors-origin ORIGINS  (PAYALL_CORS_ORIGIN, default none)')
  t.match(help, '--lora-uplink-port FPORT  (PAYALL_LORA_UPLINK_PORT, default 10)')
  for (const option of CONFIG_OPTIONS) {
    const value: unknown = defaults[option.field]
    const expected = value === undefined ? undefined : Array.isArray(value) ? (value.length === 0 ? 'none' : value.join(',')) : String(value)
    t.equal(defaultText(option), expected, `${option.env}: help and parseConfig agree`)
  }
})

t.test('the configuration is frozen, its lists too', async (t) => {
  const config = parseConfig([], { PAYALL_CORS_ORIGIN: 'https://shop.example', PAYALL_TRUST_PROXY: '10.0.0.0/8' })
  t.ok(Object.isFrozen(config))
  t.ok(Object.isFrozen(config.corsOrigins))
  t.ok(Object.isFrozen(config.trustProxy))
  t.throws(() => {
    (config as { httpPort: number }).httpPort = 1
  }, TypeError)
  t.throws(() => (config.corsOrigins as string[]).push('https://evil.example'), TypeError)
  t.ok(Object.isFrozen(parseConfig([], {}).trustProxy), 'the default lists too')
})

const CHAIN = {
  PAYALL_CHAIN_RPC: 'http://127.0.0.1:8545', PAYALL_CHAIN_KEY: `0x${'11'.repeat(32)}`, PAYALL_ANCHOR_ADDRESS: `0x${'ab'.repeat(20)}`,
}
const LORA = { PAYALL_LORA_MQTT_URL: 'mqtt://lns.local', PAYALL_LORA_APPLICATION: 'payall' }
const TTS = {
  PAYALL_LORA_MQTT_URL: 'mqtts://eu1.cloud.thethings.network:8883', PAYALL_LORA_FORMAT: 'tts', PAYALL_LORA_APPLICATION: 'payall@ttn',
  PAYALL_LORA_USERNAME: 'payall@ttn', PAYALL_LORA_PASSWORD: 'NNSXS.KEY',
}

t.test('an explorer URL is a base URL, kept without its trailing slash, so links have no doubled one', async (t) => {
  t.equal(parseConfig([], { ...CHAIN, PAYALL_EXPLORER_URL: 'https://etherscan.io/' }).explorerUrl, 'https://etherscan.io')
  t.equal(parseConfig(['--explorer-url', 'http://explorer.local:4000/sepolia/'], CHAIN).explorerUrl, 'http://explorer.local:4000/sepolia')
  t.equal(parseConfig([], { ...CHAIN, PAYALL_EXPLORER_URL: 'https://etherscan.io' }).explorerUrl, 'https://etherscan.io')
  t.match(helpText('payall-hub'), /--explorer-url URL {2}\(PAYALL_EXPLORER_URL\)\n.*etherscan/, 'help shows it, with an example')
})

t.test('options that fit together are taken', async (t) => {
  for (const env of [{}, CHAIN, LORA, TTS, { ...CHAIN, PAYALL_EXPLORER_URL: 'https://etherscan.io' }, { ...CHAIN, ...TTS }, { PAYALL_HTTP_PORT: '0', PAYALL_MQTT_PORT: '0' },
    { PAYALL_HTTP_PORT: '8080', PAYALL_MQTT_PORT: '8080', PAYALL_MQTT_URL: 'mqtt://broker.example' },
    { PAYALL_HTTP_PORT: '8080', PAYALL_MQTT_PORT: '8080', PAYALL_HTTP_HOST: '127.0.0.1', PAYALL_MQTT_HOST: '10.0.0.2' },
    { PAYALL_TLS_CERT: 'hub.crt', PAYALL_TLS_KEY: 'hub.key' }]) {
    t.doesNotThrow(() => parseConfig([], env), JSON.stringify(env))
  }
})

t.test('options that do not fit together are refused before anything starts, naming each of them', async (t) => {
  const { PAYALL_CHAIN_RPC, PAYALL_CHAIN_KEY, PAYALL_ANCHOR_ADDRESS } = CHAIN
  const cases: Array<{ what: string; argv?: string[]; env: Record<string, string>; code: string; field: string; names: string[] }> = [
    { what: 'an RPC endpoint alone', env: { PAYALL_CHAIN_RPC }, code: 'MISSING_OPTION', field: 'PAYALL_CHAIN_KEY',
      names: ['PAYALL_CHAIN_RPC', 'PAYALL_CHAIN_KEY', '--anchor-address'] },
    { what: 'a chain key without an RPC endpoint', env: { PAYALL_CHAIN_KEY }, code: 'MISSING_OPTION', field: 'PAYALL_CHAIN_RPC',
      names: ['PAYALL_CHAIN_KEY', '--chain-rpc', 'PAYALL_ANCHOR_ADDRESS'] },
    { what: 'an RPC endpoint and a key without the contract', env: { PAYALL_CHAIN_RPC, PAYALL_CHAIN_KEY }, code: 'MISSING_OPTION',
      field: 'PAYALL_ANCHOR_ADDRESS', names: ['PAYALL_CHAIN_RPC', 'PAYALL_CHAIN_KEY', 'PAYALL_ANCHOR_ADDRESS'] },
    { what: 'a contract and a key, the contract by flag, without the RPC endpoint', argv: ['--anchor-address', PAYALL_ANCHOR_ADDRESS],
      env: { PAYALL_CHAIN_KEY }, code: 'MISSING_OPTION', field: 'PAYALL_CHAIN_RPC', names: ['--anchor-address', 'PAYALL_CHAIN_KEY'] },
    { what: 'an explorer without a chain', env: { PAYALL_EXPLORER_URL: 'https://etherscan.io' }, code: 'MISSING_OPTION',
      field: 'PAYALL_CHAIN_RPC', names: ['PAYALL_EXPLORER_URL', '--chain-rpc (PAYALL_CHAIN_RPC)'] },
    { what: 'an explorer by flag without a chain', argv: ['--explorer-url', 'https://etherscan.io'], env: {}, code: 'MISSING_OPTION',
      field: 'PAYALL_CHAIN_RPC', names: ['--explorer-url'] },
    { what: 'a LoRa application without the network server', env: { PAYALL_LORA_APPLICATION: 'payall' }, code: 'MISSING_OPTION',
      field: 'PAYALL_LORA_MQTT_URL', names: ['PAYALL_LORA_APPLICATION', 'PAYALL_LORA_MQTT_URL'] },
    { what: 'a LoRa login without the network server', env: { PAYALL_LORA_USERNAME: 'hub', PAYALL_LORA_PASSWORD: 'secret-1' },
      code: 'MISSING_OPTION', field: 'PAYALL_LORA_MQTT_URL', names: ['PAYALL_LORA_USERNAME', 'PAYALL_LORA_PASSWORD', 'PAYALL_LORA_MQTT_URL'] },
    { what: 'a network server without the application', env: { PAYALL_LORA_MQTT_URL: LORA.PAYALL_LORA_MQTT_URL }, code: 'MISSING_OPTION',
      field: 'PAYALL_LORA_APPLICATION', names: ['PAYALL_LORA_MQTT_URL', 'PAYALL_LORA_APPLICATION'] },
    { what: 'The Things Stack with an application not {app}@{tenant}', env: { ...TTS, PAYALL_LORA_APPLICATION: 'payall' },
      code: 'CONFLICTING_OPTIONS', field: 'PAYALL_LORA_APPLICATION', names: ['PAYALL_LORA_FORMAT', 'PAYALL_LORA_APPLICATION'] },
    { what: 'The Things Stack without a login', env: { ...TTS, PAYALL_LORA_USERNAME: '', PAYALL_LORA_PASSWORD: '' }, code: 'MISSING_OPTION',
      field: 'PAYALL_LORA_USERNAME', names: ['PAYALL_LORA_FORMAT', 'PAYALL_LORA_USERNAME', 'PAYALL_LORA_PASSWORD'] },
    { what: 'The Things Stack without a password', argv: ['--lora-format', 'tts'], env: { ...TTS, PAYALL_LORA_PASSWORD: '' },
      code: 'MISSING_OPTION', field: 'PAYALL_LORA_PASSWORD', names: ['--lora-format', 'PAYALL_LORA_PASSWORD'] },
    { what: 'one LoRa port for uplinks and downlinks', argv: ['--lora-uplink-port', '12', '--lora-downlink-port', '12'], env: LORA,
      code: 'CONFLICTING_OPTIONS', field: '--lora-downlink-port', names: ['--lora-uplink-port', '--lora-downlink-port'] },
    { what: 'the default downlink port as the uplink port', env: { ...LORA, PAYALL_LORA_UPLINK_PORT: '11' }, code: 'CONFLICTING_OPTIONS',
      field: 'PAYALL_LORA_DOWNLINK_PORT', names: ['PAYALL_LORA_UPLINK_PORT', 'PAYALL_LORA_DOWNLINK_PORT'] },
    { what: 'the REST API and the embedded broker on one port', env: { PAYALL_HTTP_PORT: '8080', PAYALL_MQTT_PORT: '8080' },
      code: 'CONFLICTING_OPTIONS', field: 'PAYALL_MQTT_PORT', names: ['PAYALL_HTTP_PORT', 'PAYALL_MQTT_PORT'] },
    { what: 'one port, the broker on every interface', argv: ['--mqtt-port', '3001'], env: { PAYALL_HTTP_HOST: '127.0.0.1' },
      code: 'CONFLICTING_OPTIONS', field: '--mqtt-port', names: ['--http-port', '--mqtt-port'] },
    { what: 'the metrics port on the REST API\'s', argv: ['--metrics-port', '3001'], env: {},
      code: 'CONFLICTING_OPTIONS', field: '--metrics-port', names: ['--http-port', '--metrics-port'] },
    { what: 'the metrics port on the embedded broker\'s', env: { PAYALL_METRICS_PORT: '1883' },
      code: 'CONFLICTING_OPTIONS', field: 'PAYALL_METRICS_PORT', names: ['--mqtt-port', 'PAYALL_METRICS_PORT'] },
    { what: 'a TLS certificate without its key', argv: ['--tls-cert', 'hub.crt'], env: {},
      code: 'MISSING_OPTION', field: 'PAYALL_TLS_KEY', names: ['--tls-cert', '--tls-key (PAYALL_TLS_KEY)'] },
    { what: 'a TLS key without its certificate', env: { PAYALL_TLS_KEY: 'hub.key' },
      code: 'MISSING_OPTION', field: 'PAYALL_TLS_CERT', names: ['PAYALL_TLS_KEY', '--tls-cert (PAYALL_TLS_CERT)'] },
  ]
  for (const { what, argv = [], env, code, field, names } of cases) {
    const error = configErrorOf(() => parseConfig(argv, env))
    t.equal(error.code, code, `${what}: ${code}`)
    t.equal(error.field, field, `${what}: names ${field} as the one to fix`)
    for (const name of names) t.match(error.message, name, `${what}: the message names ${name}`)
    t.notMatch(error.message, code, `${what}: the message does not repeat the code`)
  }
})

t.test('a command that needs a few options parses only those, without the rules of a whole hub', async (t) => {
  const { PAYALL_CHAIN_KEY } = CHAIN
  t.same(parseConfigFields(['--chain-rpc', 'http://node:8545'], { PAYALL_CHAIN_KEY, PAYALL_LORA_APPLICATION: 'set but not read' },
    ['chainRpcUrl', 'chainKey']), { chainRpcUrl: 'http://node:8545', chainKey: PAYALL_CHAIN_KEY })
  t.same(parseConfigFields([], {}, ['chainRpcUrl', 'anchorBatchMax']), { chainRpcUrl: undefined, anchorBatchMax: 1000 }, 'defaults apply')
  t.equal(configErrorOf(() => parseConfigFields(['--data-dir', '/x'], {}, ['chainRpcUrl'])).field, '--data-dir', 'other flags are unknown')
  t.equal(configErrorOf(() => parseConfigFields([], { PAYALL_CHAIN_KEY: '0x12' }, ['chainKey'])).code, 'BAD_OPTION')
})

t.test('--mqtt-logins dynsec drives an external Mosquitto: it needs --mqtt-url, and takes only its two modes', async (t) => {
  t.equal(parseConfig(['--mqtt-url', 'mqtt://hub:secret@broker:1883', '--mqtt-logins', 'dynsec'], {}).mqttLogins, 'dynsec')
  t.equal(parseConfig([], { PAYALL_MQTT_URL: 'mqtt://broker:1883', PAYALL_MQTT_LOGINS: 'dynsec' }).mqttLogins, 'dynsec')
  t.match(configErrorOf(() => parseConfig(['--mqtt-logins', 'dynsec'], {})), { code: 'MISSING_OPTION', field: 'PAYALL_MQTT_URL' })
  t.match(configErrorOf(() => parseConfig(['--mqtt-url', 'mqtt://broker:1883', '--mqtt-logins', 'acl'], {})), { field: '--mqtt-logins', message: /one of broker, dynsec/ })
})
