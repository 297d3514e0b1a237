// The hub's configuration, read from command-line flags and PAYALL_* environment variables.
// One option table drives parsing, validation and --help, so the three cannot drift apart.

import { isIP } from 'node:net'
import { parseArgs } from 'node:util'
import { REVOKED_VOUCHERS_MAX } from '../protocol/messages/revocation-list'
import { isPhoneRegion, PHONE_REGION_DEFAULT, type PhoneRegion } from './users/phone'
import { DEFAULT_VOUCHER_POLICY } from './vouchers/policy'

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

export interface HubConfig {
  /** Holds the SQLite file, the hub key and the JWT secret. */
  readonly dataDir: string
  readonly httpPort: number
  readonly httpHost: string
  /** A request's headers must all arrive within this long of its first byte, or the connection is cut (408). */
  readonly httpHeadersTimeout_ms: number
  /** A whole request, body included, must arrive within this long, or the connection is cut (408). */
  readonly httpRequestTimeout_ms: number
  /** A connection with no traffic either way for this long is closed, whatever it is doing. */
  readonly httpConnectionTimeout_ms: number
  /** An idle keep-alive connection is closed after this long without a new request. */
  readonly httpKeepAliveTimeout_ms: number
  /** Open connections the REST API holds at once; past this a new connection is closed at once. */
  readonly httpConnectionsMax: number
  /** Reverse proxies (addresses or CIDRs) whose X-Forwarded-For names the client; empty: the socket's peer is the client. */
  readonly trustProxy: readonly string[]
  /** The embedded MQTT broker's port and interface; unused when mqttUrl names an external broker. */
  readonly mqttPort: number
  readonly mqttHost: string
  readonly mqttUrl: string | undefined
  /** Used once, when the hub starts with no operator account. */
  readonly operatorEmail: string | undefined
  readonly operatorPassword: string | undefined
  /** Overrides <dataDir>/jwt-secret. */
  readonly jwtSecret: string | undefined
  readonly logLevel: LogLevel
  /** Origins allowed to call the API from a browser; empty means no CORS headers at all. */
  readonly corsOrigins: readonly string[]
  readonly chainRpcUrl: string | undefined
  readonly chainKey: string | undefined
  readonly anchorAddress: string | undefined
  readonly anchorBatchMax: number
  readonly anchorBatchAge_ms: number
  readonly anchorConfirmations: number
  readonly anchorMaxFeeGwei: number
  /** A LoRaWAN network server's MQTT integration; no LoRa path without it. */
  readonly loraMqttUrl: string | undefined
  readonly loraFormat: 'chirpstack' | 'tts'
  /** ChirpStack's application id, or The Things Stack's {app}@{tenant}. */
  readonly loraApplication: string | undefined
  readonly loraUsername: string | undefined
  readonly loraPassword: string | undefined
  readonly loraUplinkPort: number
  readonly loraDownlinkPort: number
  /** Downlinks of the whole revocation list queued at each report of a gateway behind. */
  readonly loraCatchUpDownlinksPerReport: number
  /** The bounds on offline allowances that keep the revocation list bounded (hub/vouchers/policy.ts). */
  readonly voucherLimitMin_minor: number
  readonly vouchersOpenPerDeviceMax: number
  readonly vouchersOpenPerCustomerMax: number
  readonly vouchersIssuedPerWindowMax: number
  readonly voucherRevocationsPerWindowMax: number
  readonly voucherWindow_ms: number
  readonly revocableVouchersMax: number
  /** The region of phone numbers written without a country code (ISO 3166 alpha-2). */
  readonly phoneRegion: PhoneRegion
}

/** A bad flag or environment variable; `field` is the name the user typed (flag or variable). */
export class ConfigError extends Error {
  override readonly name = 'ConfigError'
  readonly field: string

  constructor(field: string, message: string) {
    super(message)
    this.field = field
  }
}

export interface ConfigOption {
  /** Without the leading dashes; absent for secrets, which only the environment may carry. */
  readonly flag?: string
  readonly env: string
  readonly field: keyof HubConfig
  /** Shown in --help and used when neither the flag nor the variable is set. */
  readonly defaultText?: string
  readonly valueName: string
  readonly description: string
  /** `name` is the flag or variable the text came from, so an error names what the user typed. */
  readonly parse: (text: string, name: string) => HubConfig[keyof HubConfig]
}

const PORT_MAX = 65_535
const DAY_MS = 24 * 60 * 60 * 1000
const policy = DEFAULT_VOUCHER_POLICY
// Under 100 ms is a slip of the keyboard that would refuse every client; over an hour is no timeout at all.
const TIMEOUT_MIN_MS = 100
const TIMEOUT_MAX_MS = 60 * 60 * 1000
const OPERATOR_PASSWORD_LENGTH_MIN = 12
const JWT_SECRET_LENGTH_MIN = 32

export const CONFIG_OPTIONS: readonly ConfigOption[] = [
  {
    flag: 'data-dir', env: 'PAYALL_DATA_DIR', field: 'dataDir', defaultText: './data', valueName: 'DIR',
    description: 'directory for the SQLite database, the hub key and the JWT secret',
    parse: nonEmpty,
  },
  {
    flag: 'http-port', env: 'PAYALL_HTTP_PORT', field: 'httpPort', defaultText: '3001', valueName: 'PORT',
    description: 'REST API port (0 picks a free one)',
    parse: port,
  },
  {
    flag: 'http-host', env: 'PAYALL_HTTP_HOST', field: 'httpHost', defaultText: '0.0.0.0', valueName: 'HOST',
    description: 'interface the REST API listens on',
    parse: nonEmpty,
  },
  {
    flag: 'http-headers-timeout-ms', env: 'PAYALL_HTTP_HEADERS_TIMEOUT_MS', field: 'httpHeadersTimeout_ms', defaultText: '10000',
    valueName: 'MS', description: 'a request whose headers take longer to arrive is cut off with 408 (at most the request timeout)',
    parse: timeoutMs,
  },
  {
    flag: 'http-request-timeout-ms', env: 'PAYALL_HTTP_REQUEST_TIMEOUT_MS', field: 'httpRequestTimeout_ms', defaultText: '60000',
    valueName: 'MS', description: 'a request whose body has not all arrived after this long is cut off with 408',
    parse: timeoutMs,
  },
  {
    flag: 'http-connection-timeout-ms', env: 'PAYALL_HTTP_CONNECTION_TIMEOUT_MS', field: 'httpConnectionTimeout_ms', defaultText: '60000',
    valueName: 'MS', description: 'a connection with no traffic either way for this long is closed',
    parse: timeoutMs,
  },
  {
    flag: 'http-keep-alive-timeout-ms', env: 'PAYALL_HTTP_KEEP_ALIVE_TIMEOUT_MS', field: 'httpKeepAliveTimeout_ms', defaultText: '10000',
    valueName: 'MS', description: 'an idle keep-alive connection is closed after this long (behind a proxy: longer than its idle timeout)',
    parse: timeoutMs,
  },
  {
    flag: 'http-connections-max', env: 'PAYALL_HTTP_CONNECTIONS_MAX', field: 'httpConnectionsMax', defaultText: '1000', valueName: 'N',
    description: 'open REST API connections at once; past this a new connection is closed unanswered',
    parse: (text, name) => integerIn(text, name, 1, 1_000_000),
  },
  {
    flag: 'trust-proxy', env: 'PAYALL_TRUST_PROXY', field: 'trustProxy', valueName: 'ADDRESSES',
    description: 'comma-separated addresses or CIDRs of reverse proxies whose X-Forwarded-For names the client, for rate limits (default: none)',
    parse: proxyAddresses,
  },
  {
    flag: 'mqtt-port', env: 'PAYALL_MQTT_PORT', field: 'mqttPort', defaultText: '1883', valueName: 'PORT',
    description: 'embedded MQTT broker port (0 picks a free one)',
    parse: port,
  },
  {
    flag: 'mqtt-host', env: 'PAYALL_MQTT_HOST', field: 'mqttHost', defaultText: '0.0.0.0', valueName: 'HOST',
    description: 'interface the embedded MQTT broker listens on',
    parse: nonEmpty,
  },
  {
    flag: 'mqtt-url', env: 'PAYALL_MQTT_URL', field: 'mqttUrl', valueName: 'URL',
    description: "external broker (mqtt://, mqtts://, ws://, wss://) instead of the embedded one; user:password@ in it are the hub's own login there",
    parse: (text, name) => url(text, name, ['mqtt:', 'mqtts:', 'ws:', 'wss:']),
  },
  {
    env: 'PAYALL_OPERATOR_EMAIL', field: 'operatorEmail', valueName: 'EMAIL',
    description: 'first operator account, created only when none exists yet (else operator@payall.local)',
    parse: email,
  },
  {
    env: 'PAYALL_OPERATOR_PASSWORD', field: 'operatorPassword', valueName: 'PASSWORD',
    description: `its password, ${OPERATOR_PASSWORD_LENGTH_MIN}+ characters (else one is generated and printed once)`,
    parse: (text, name) => minLength(text, name, OPERATOR_PASSWORD_LENGTH_MIN),
  },
  {
    env: 'PAYALL_JWT_SECRET', field: 'jwtSecret', valueName: 'SECRET',
    description: `secret signing access tokens, ${JWT_SECRET_LENGTH_MIN}+ characters (else <data-dir>/jwt-secret)`,
    parse: (text, name) => minLength(text, name, JWT_SECRET_LENGTH_MIN),
  },
  {
    flag: 'log-level', env: 'PAYALL_LOG_LEVEL', field: 'logLevel', defaultText: 'info', valueName: 'LEVEL',
    description: LOG_LEVELS.join(' | '),
    parse: logLevel,
  },
  {
    flag: 'cors-origin', env: 'PAYALL_CORS_ORIGIN', field: 'corsOrigins', valueName: 'ORIGINS',
    description: 'comma-separated origins allowed to call the API from a browser, or * (default: none)',
    parse: corsOrigins,
  },
  {
    flag: 'chain-rpc', env: 'PAYALL_CHAIN_RPC', field: 'chainRpcUrl', valueName: 'URL',
    description: 'EVM JSON-RPC endpoint (http or https) batches are anchored on; without it they are sealed and queued',
    parse: (text, name) => url(text, name, ['http:', 'https:']),
  },
  {
    env: 'PAYALL_CHAIN_KEY', field: 'chainKey', valueName: 'HEX',
    description: 'private key (0x + 64 hex) that owns the Anchor contract and pays for anchor transactions',
    parse: (text, name) => hex(text, name, 32),
  },
  {
    flag: 'anchor-address', env: 'PAYALL_ANCHOR_ADDRESS', field: 'anchorAddress', valueName: 'ADDRESS',
    description: 'address (0x + 40 hex) of the Anchor contract (payall-hub deploy-anchor prints one)',
    parse: (text, name) => hex(text, name, 20),
  },
  {
    flag: 'anchor-batch-max', env: 'PAYALL_ANCHOR_BATCH_MAX', field: 'anchorBatchMax', defaultText: '1000', valueName: 'N',
    description: 'a batch is sealed once it holds this many settled transfers',
    parse: (text, name) => integerIn(text, name, 1, 1_048_576),
  },
  {
    flag: 'anchor-batch-age-ms', env: 'PAYALL_ANCHOR_BATCH_AGE_MS', field: 'anchorBatchAge_ms', defaultText: '60000', valueName: 'MS',
    description: 'or once its oldest transfer has waited this long',
    parse: (text, name) => integerIn(text, name, 0, 7 * 24 * 60 * 60 * 1000),
  },
  {
    flag: 'anchor-confirmations', env: 'PAYALL_ANCHOR_CONFIRMATIONS', field: 'anchorConfirmations', defaultText: '1', valueName: 'N',
    description: 'blocks (the anchoring one included) before a batch counts as anchored',
    parse: (text, name) => integerIn(text, name, 1, 1000),
  },
  {
    flag: 'anchor-max-fee-gwei', env: 'PAYALL_ANCHOR_MAX_FEE_GWEI', field: 'anchorMaxFeeGwei', defaultText: '200', valueName: 'GWEI',
    description: 'the most paid per gas unit; above it anchoring waits for cheaper blocks',
    parse: (text, name) => integerIn(text, name, 1, 1_000_000),
  },
  {
    flag: 'lora-mqtt-url', env: 'PAYALL_LORA_MQTT_URL', field: 'loraMqttUrl', valueName: 'URL',
    description: "a LoRaWAN network server's MQTT integration (mqtt://, mqtts://): gateways' LoRa reports in, revocation downlinks out",
    parse: (text, name) => url(text, name, ['mqtt:', 'mqtts:', 'ws:', 'wss:']),
  },
  {
    flag: 'lora-format', env: 'PAYALL_LORA_FORMAT', field: 'loraFormat', defaultText: 'chirpstack', valueName: 'FORMAT',
    description: 'chirpstack (ChirpStack v4) | tts (The Things Stack v3)',
    parse: (text, name) => oneOf(text, name, ['chirpstack', 'tts'] as const),
  },
  {
    flag: 'lora-application', env: 'PAYALL_LORA_APPLICATION', field: 'loraApplication', valueName: 'ID',
    description: "the network server's application of the gateways' modems: ChirpStack's application id, or {app}@{tenant} for The Things Stack",
    parse: nonEmpty,
  },
  {
    flag: 'lora-username', env: 'PAYALL_LORA_USERNAME', field: 'loraUsername', valueName: 'USER',
    description: "the hub's login at the network server's broker ({app}@{tenant} for The Things Stack)",
    parse: nonEmpty,
  },
  {
    env: 'PAYALL_LORA_PASSWORD', field: 'loraPassword', valueName: 'SECRET',
    description: "its password (The Things Stack: an API key allowed to read uplinks and write downlinks)",
    parse: nonEmpty,
  },
  {
    flag: 'lora-uplink-port', env: 'PAYALL_LORA_UPLINK_PORT', field: 'loraUplinkPort', defaultText: '10', valueName: 'FPORT',
    description: "the LoRaWAN application port (1–223) of the gateways' commitment frames; a gateway's modem DevEUI is its EUI",
    parse: (text, name) => integerIn(text, name, 1, 223),
  },
  {
    flag: 'lora-downlink-port', env: 'PAYALL_LORA_DOWNLINK_PORT', field: 'loraDownlinkPort', defaultText: '11', valueName: 'FPORT',
    description: 'the application port (1–223) of the revocation downlinks',
    parse: (text, name) => integerIn(text, name, 1, 223),
  },
  {
    flag: 'lora-catch-up-downlinks-per-report', env: 'PAYALL_LORA_CATCH_UP_DOWNLINKS_PER_REPORT', field: 'loraCatchUpDownlinksPerReport',
    defaultText: '1', valueName: 'N',
    description: 'downlinks of the whole revocation list queued at each LoRa report of a gateway behind (class A takes one per uplink)',
    parse: (text, name) => integerIn(text, name, 1, 64),
  },
  {
    flag: 'voucher-limit-min-minor', env: 'PAYALL_VOUCHER_LIMIT_MIN_MINOR', field: 'voucherLimitMin_minor',
    defaultText: String(policy.limitMin_minor), valueName: 'MINOR',
    description: 'the smallest offline allowance, in minor units (100: 100 XOF, 1.00 EUR)',
    parse: (text, name) => integerIn(text, name, 1, policy.limitMax_minor),
  },
  {
    flag: 'vouchers-open-per-device-max', env: 'PAYALL_VOUCHERS_OPEN_PER_DEVICE_MAX', field: 'vouchersOpenPerDeviceMax',
    defaultText: String(policy.openPerDeviceMax), valueName: 'N',
    description: 'unexpired, unrevoked vouchers one device may hold (a voucher and its renewal)',
    parse: (text, name) => integerIn(text, name, 1, 64),
  },
  {
    flag: 'vouchers-open-per-customer-max', env: 'PAYALL_VOUCHERS_OPEN_PER_CUSTOMER_MAX', field: 'vouchersOpenPerCustomerMax',
    defaultText: String(policy.openPerCustomerMax), valueName: 'N',
    description: 'and one customer over all their devices',
    parse: (text, name) => integerIn(text, name, 1, 256),
  },
  {
    flag: 'vouchers-issued-per-window-max', env: 'PAYALL_VOUCHERS_ISSUED_PER_WINDOW_MAX', field: 'vouchersIssuedPerWindowMax',
    defaultText: String(policy.issuedPerWindowMax), valueName: 'N',
    description: 'vouchers one customer may be issued within any --voucher-window-ms; the next is answered 429',
    parse: (text, name) => integerIn(text, name, 1, 1024),
  },
  {
    flag: 'voucher-revocations-per-window-max', env: 'PAYALL_VOUCHER_REVOCATIONS_PER_WINDOW_MAX', field: 'voucherRevocationsPerWindowMax',
    defaultText: String(policy.revokedPerWindowMax), valueName: 'N',
    description: "once this many of a customer's vouchers were revoked within the window, no new one until it has passed (429); revoking itself is never refused",
    parse: (text, name) => integerIn(text, name, 1, 1024),
  },
  {
    flag: 'voucher-window-ms', env: 'PAYALL_VOUCHER_WINDOW_MS', field: 'voucherWindow_ms',
    defaultText: String(policy.window_ms), valueName: 'MS',
    description: 'the rolling window of the two rates above',
    parse: (text, name) => integerIn(text, name, 60_000, 30 * DAY_MS),
  },
  {
    flag: 'revocable-vouchers-max', env: 'PAYALL_REVOCABLE_VOUCHERS_MAX', field: 'revocableVouchersMax',
    defaultText: String(policy.revocableMax), valueName: 'N',
    description: `vouchers not yet past expiry + ${policy.listedAfterExpiry_ms / 3_600_000} h the whole hub may have: the revocation list never outgrows it; at the bound no voucher is issued (503) until some expire (at most ${REVOKED_VOUCHERS_MAX})`,
    parse: (text, name) => integerIn(text, name, 1, REVOKED_VOUCHERS_MAX),
  },
  {
    flag: 'phone-region', env: 'PAYALL_PHONE_REGION', field: 'phoneRegion', defaultText: PHONE_REGION_DEFAULT, valueName: 'REGION',
    description: 'ISO 3166 code of the region whose numbers people type without +country code; SN (Senegal, +221), ' +
      'where the legacy system ran, unless the hub serves another country',
    parse: phoneRegion,
  },
]

const DEFAULTS: HubConfig = {
  dataDir: './data',
  httpPort: 3001,
  httpHost: '0.0.0.0',
  httpHeadersTimeout_ms: 10_000,
  httpRequestTimeout_ms: 60_000,
  httpConnectionTimeout_ms: 60_000,
  httpKeepAliveTimeout_ms: 10_000,
  httpConnectionsMax: 1_000,
  trustProxy: [],
  mqttPort: 1883,
  mqttHost: '0.0.0.0',
  mqttUrl: undefined,
  operatorEmail: undefined,
  operatorPassword: undefined,
  jwtSecret: undefined,
  logLevel: 'info',
  corsOrigins: [],
  anchorBatchMax: 1_000,
  anchorBatchAge_ms: 60_000,
  anchorConfirmations: 1,
  anchorMaxFeeGwei: 200,
  chainRpcUrl: undefined,
  chainKey: undefined,
  anchorAddress: undefined,
  loraMqttUrl: undefined,
  loraFormat: 'chirpstack',
  loraApplication: undefined,
  loraUsername: undefined,
  loraPassword: undefined,
  loraUplinkPort: 10,
  loraDownlinkPort: 11,
  loraCatchUpDownlinksPerReport: 1,
  voucherLimitMin_minor: policy.limitMin_minor,
  vouchersOpenPerDeviceMax: policy.openPerDeviceMax,
  vouchersOpenPerCustomerMax: policy.openPerCustomerMax,
  vouchersIssuedPerWindowMax: policy.issuedPerWindowMax,
  voucherRevocationsPerWindowMax: policy.revokedPerWindowMax,
  voucherWindow_ms: policy.window_ms,
  revocableVouchersMax: policy.revocableMax,
  phoneRegion: PHONE_REGION_DEFAULT,
}

/**
 * Builds the configuration from flags and environment; a flag wins over its variable, and an
 * empty variable counts as unset. Throws ConfigError naming the flag or variable at fault.
 */
export function parseConfig(argv: readonly string[], env: NodeJS.ProcessEnv): HubConfig {
  const flags = parseFlags(argv)
  const config: Record<string, unknown> = { ...DEFAULTS }
  for (const option of CONFIG_OPTIONS) {
    const flagText = option.flag === undefined ? undefined : flags[option.flag]
    const envText = env[option.env]
    if (flagText !== undefined) config[option.field] = option.parse(flagText, `--${option.flag}`)
    else if (envText !== undefined && envText !== '') config[option.field] = option.parse(envText, option.env)
  }
  return config as unknown as HubConfig
}

/** The --help text, generated from CONFIG_OPTIONS. */
export function helpText(programName: string): string {
  const options = CONFIG_OPTIONS.flatMap((option) => {
    const source = option.flag === undefined
      ? `${option.env}=${option.valueName}  (environment only`
      : `--${option.flag} ${option.valueName}  (${option.env}`
    const defaultText = option.defaultText === undefined ? '' : `, default ${option.defaultText}`
    return [`  ${source}${defaultText})`, `      ${option.description}`]
  })
  return [
    `${programName} — the PayAll hub: REST API (with OpenAPI docs at /docs) and the MQTT side that settles`,
    'what the terminals took.',
    '',
    `Usage: ${programName} [options]`,
    '',
    'Each option is a flag or the environment variable beside it; a flag wins. Secrets are',
    'environment only, so they never show in a process list.',
    '',
    ...options,
    '  -h, --help',
    '      show this help',
    '',
  ].join('\n')
}

function parseFlags(argv: readonly string[]): Record<string, string | undefined> {
  const options: Record<string, { type: 'string' }> = {}
  for (const option of CONFIG_OPTIONS) if (option.flag !== undefined) options[option.flag] = { type: 'string' }
  try {
    const { values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false })
    return values as Record<string, string | undefined>
  } catch (error) {
    // parseArgs names the offending argument in its message ("Unknown option '--x'").
    const message = (error as Error).message
    const offender = /'(-{1,2}[^' ]+|[^']*)/.exec(message)?.[1] ?? 'arguments'
    throw new ConfigError(offender, `${message} (see --help)`)
  }
}

function nonEmpty(text: string, name: string): string {
  if (text.trim() === '') throw new ConfigError(name, `${name} must not be empty`)
  return text
}

function integerIn(text: string, name: string, min: number, max: number): number {
  const value = /^\d{1,16}$/.test(text) ? Number(text) : Number.NaN
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(name, `${name} must be an integer ${min}–${max}, got '${text}'`)
  }
  return value
}

function timeoutMs(text: string, name: string): number {
  return integerIn(text, name, TIMEOUT_MIN_MS, TIMEOUT_MAX_MS)
}

function port(text: string, name: string): number {
  const value = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN
  if (!(value >= 0 && value <= PORT_MAX)) {
    throw new ConfigError(name, `${name} must be an integer 0–${PORT_MAX}, got '${text}'`)
  }
  return value
}

function url(text: string, name: string, protocols: readonly string[]): string {
  let parsed: URL | undefined
  try {
    parsed = new URL(text)
  } catch {
    parsed = undefined
  }
  if (parsed === undefined || !protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `${name} must be a ${protocols.map((p) => `${p}//`).join(' or ')} URL, got '${text}'`)
  }
  return text
}

function email(text: string, name: string): string {
  const value = text.trim().toLowerCase()
  if (!/^[^\s@]+@[^\s@]+$/.test(value)) throw new ConfigError(name, `${name} must be an email address, got '${text}'`)
  return value
}

/** Never echoes the value: these options are secrets. */
function minLength(text: string, name: string, lengthMin: number): string {
  if (text.length < lengthMin) {
    throw new ConfigError(name, `${name} must be at least ${lengthMin} characters, got ${text.length}`)
  }
  return text
}

function oneOf<T extends string>(text: string, name: string, values: readonly T[]): T {
  const value = values.find((candidate) => candidate === text)
  if (value === undefined) throw new ConfigError(name, `${name} must be one of ${values.join(', ')}, got '${text}'`)
  return value
}

function phoneRegion(text: string, name: string): PhoneRegion {
  const region = text.trim().toUpperCase()
  if (!isPhoneRegion(region)) throw new ConfigError(name, `${name} must be an ISO 3166 region code such as SN or FR, got '${text}'`)
  return region
}

function logLevel(text: string, name: string): LogLevel {
  const level = LOG_LEVELS.find((candidate) => candidate === text)
  if (level === undefined) throw new ConfigError(name, `${name} must be one of ${LOG_LEVELS.join(', ')}, got '${text}'`)
  return level
}

function corsOrigins(text: string, name: string): readonly string[] {
  const origins = text.split(',').map((part) => part.trim()).filter((part) => part !== '')
  if (origins.length === 0) throw new ConfigError(name, `${name} must list at least one origin, got '${text}'`)
  if (origins.includes('*')) {
    if (origins.length > 1) throw new ConfigError(name, `${name} is either * or a list of origins, got '${text}'`)
    return origins
  }
  for (const origin of origins) {
    let canonical: string | undefined
    try {
      canonical = new URL(origin).origin
    } catch {
      canonical = undefined
    }
    if (canonical !== origin) {
      throw new ConfigError(name, `${name} must list origins such as https://shop.example:8443, got '${origin}'`)
    }
  }
  return origins
}

/** IPv4 or IPv6 addresses, each optionally with a /prefix length. */
function proxyAddresses(text: string, name: string): readonly string[] {
  const entries = text.split(',').map((part) => part.trim()).filter((part) => part !== '')
  if (entries.length === 0) throw new ConfigError(name, `${name} must list at least one address, got '${text}'`)
  for (const entry of entries) {
    const [address = '', prefix, ...rest] = entry.split('/')
    const version = isIP(address)
    const prefixMax = version === 4 ? 32 : 128
    const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= prefixMax)
    if (version === 0 || !prefixOk || rest.length > 0) {
      throw new ConfigError(name, `${name} must list IP addresses or CIDRs such as 10.0.0.0/8, got '${entry}'`)
    }
  }
  return entries
}

/** Never echoes the value: PAYALL_CHAIN_KEY is a secret. */
function hex(text: string, name: string, lengthBytes: number): string {
  if (!new RegExp(`^0x[0-9a-fA-F]{${lengthBytes * 2}}$`).test(text)) {
    throw new ConfigError(name, `${name} must be 0x followed by ${lengthBytes * 2} hex digits`)
  }
  return text
}
