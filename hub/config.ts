// The hub's configuration, read from command-line flags and PAYALL_* environment variables.
// One option table drives parsing, defaults, validation and --help, so they cannot drift apart;
// the rules between options are checked before anything starts, and the result is frozen.

import { isIP } from 'node:net'
import { parseArgs } from 'node:util'
import { assert, CodedError } from '../protocol/errors'
import { MERKLE_LEAVES_MAX } from '../protocol/merkle'
import { REVOKED_VOUCHERS_MAX } from '../protocol/messages/revocation-list'
import { ANCHOR_SETTINGS_DEFAULT, CONFIRMATIONS_MAX, WEI_PER_GWEI } from './anchor/settings'
import { isTopicLevel, NETWORK_SERVER_FORMATS, type NetworkServerFormatName } from './lora/format'
import { LORA_DOWNLINK_PORT_DEFAULT, LORA_UPLINK_PORT_DEFAULT } from './lora/settings'
import type { ScryptCost } from './users/passwords'
import { isPhoneRegion, PHONE_REGION_DEFAULT, type PhoneRegion } from './users/phone'
import { DEFAULT_VOUCHER_POLICY } from './vouchers/policy'
import { DAY_MS } from '../protocol/clock'

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

const MQTT_LOGINS_MODES = ['broker', 'dynsec'] as const
type MqttLoginsMode = (typeof MQTT_LOGINS_MODES)[number]

export interface HubConfig {
  /** Holds the SQLite file (when databaseUrl is not set), the hub's lock and, unless keysDir says otherwise, its keys. */
  readonly dataDir: string
  /**
   * A PostgreSQL database (postgres:// or postgresql://) holding everything the hub stores, instead of the SQLite file
   * under dataDir: what several hubs share.
   */
  readonly databaseUrl: string | undefined
  /**
   * The folder of the hub's secrets (its signing key, the JWT secret, the KYC master key, the update key): hubs that
   * share a database share it. Undefined: dataDir.
   */
  readonly keysDir: string | undefined
  /** How long a write waits for another process's lock on the database before it fails (SQLITE_BUSY, a hub fault). */
  readonly databaseBusyTimeout_ms: number
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
  /**
   * The PEM certificate (then any chain) and private key the REST API (HTTPS) and the embedded broker
   * (mqtts) serve; both or neither. Gateways pin the certificate at provisioning (hub/tls.ts).
   */
  readonly tlsCertFile: string | undefined
  readonly tlsKeyFile: string | undefined
  /** Reverse proxies (addresses or CIDRs) whose X-Forwarded-For names the client; empty: the socket's peer is the client. */
  readonly trustProxy: readonly string[]
  /** A second HTTP listener on 127.0.0.1 serving GET /metrics without a token, for a scraper; none when undefined. */
  readonly metricsPort: number | undefined
  /** The embedded MQTT broker's port and interface; unused when mqttUrl names an external broker. */
  readonly mqttPort: number
  readonly mqttHost: string
  readonly mqttUrl: string | undefined
  /**
   * Who lets gateways into an external broker: `broker` (its own configuration decides), or `dynsec` (the hub, through
   * Mosquitto's dynamic security plugin: each provisioned gateway a login and its own topics, a retired one shut out).
   */
  readonly mqttLogins: MqttLoginsMode
  /** Used once, when the hub starts with no operator account. */
  readonly operatorEmail: string | undefined
  readonly operatorPassword: string | undefined
  /**
   * The scrypt cost of the passwords the hub hashes: SCRYPT_COST_DEFAULT where not given. No flag or variable sets it;
   * the tests that start whole hubs lower it, as a hash at the default cost takes about 70 ms of a core.
   */
  readonly passwordCost?: ScryptCost
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
  /** How often the hub seals what is due and moves each batch on towards anchored. */
  readonly anchorTick_ms: number
  /** A block explorer's base URL (no trailing slash): anchor replies link `<explorerUrl>/tx/<hash>`. */
  readonly explorerUrl: string | undefined
  /** A LoRaWAN network server's MQTT integration; no LoRa path without it. */
  readonly loraMqttUrl: string | undefined
  readonly loraFormat: NetworkServerFormatName
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

export type ConfigErrorCode =
  /** A value wrong in itself, or a flag the hub does not know. */
  | 'BAD_OPTION'
  /** An option another one needs is not set. */
  | 'MISSING_OPTION'
  /** Options each fine on their own that cannot go together. */
  | 'CONFLICTING_OPTIONS'

/** A bad flag or environment variable, or options that do not fit together. */
export class ConfigError extends CodedError<ConfigErrorCode> {
  override readonly name = 'ConfigError'
  /** The flag or variable to fix, as the user typed it (an unset one by its variable); the message names any other involved. */
  readonly field: string

  constructor(code: ConfigErrorCode, field: string, message: string) {
    super(code, message)
    this.field = field
  }
}

/** One row of the option table: where field F of HubConfig comes from, its default, and its parser. */
interface OptionOf<F extends keyof HubConfig> {
  /** Without the leading dashes; absent for secrets, which only the environment may carry. */
  readonly flag?: string
  readonly env: string
  readonly field: F
  /** The value when neither the flag nor the variable is set; --help shows it (defaultText). */
  readonly default: HubConfig[F]
  readonly valueName: string
  readonly description: string
  /** `name` is the flag or variable the text came from, so an error names what the user typed. */
  readonly parse: (text: string, name: string) => HubConfig[F]
}

export type ConfigOption = { [F in keyof HubConfig]-?: OptionOf<F> }[keyof HubConfig]

const PORT_MAX = 65_535
const policy = DEFAULT_VOUCHER_POLICY
const anchor = ANCHOR_SETTINGS_DEFAULT
// Under 100 ms is a slip of the keyboard that would refuse every client; over an hour is no timeout at all.
const TIMEOUT_MIN_MS = 100
const TIMEOUT_MAX_MS = 60 * 60 * 1000
const OPERATOR_PASSWORD_LENGTH_MIN = 12
const JWT_SECRET_LENGTH_MIN = 32
/** How long a write waits for another process's lock on a SQLite database, by default and at most. */
export const DATABASE_BUSY_TIMEOUT_DEFAULT_MS = 5_000
export const DATABASE_BUSY_TIMEOUT_MAX_MS = 60_000

export const CONFIG_OPTIONS: readonly ConfigOption[] = [
  {
    flag: 'data-dir', env: 'PAYALL_DATA_DIR', field: 'dataDir', default: './data', valueName: 'DIR',
    description: 'directory for the SQLite database, the hub key and the JWT secret',
    parse: nonEmpty,
  },
  {
    flag: 'database-busy-timeout-ms', env: 'PAYALL_DATABASE_BUSY_TIMEOUT_MS', field: 'databaseBusyTimeout_ms',
    default: DATABASE_BUSY_TIMEOUT_DEFAULT_MS, valueName: 'MS',
    description: "how long a write waits for another process's lock on the SQLite database (a backup, a sqlite3 shell) before the hub counts a fault and the gateway sends again",
    parse: (text, name) => integerIn(text, name, 0, DATABASE_BUSY_TIMEOUT_MAX_MS),
  },
  {
    flag: 'database-url', env: 'PAYALL_DATABASE_URL', field: 'databaseUrl', default: undefined, valueName: 'URL',
    description: 'a PostgreSQL database (postgres://user:password@host:5432/payall) for everything the hub stores, instead of '
      + 'SQLite under --data-dir; several hubs share one',
    parse: (text, name) => url(text, name, ['postgres:', 'postgresql:']),
  },
  {
    flag: 'keys-dir', env: 'PAYALL_KEYS_DIR', field: 'keysDir', default: undefined, valueName: 'DIR',
    description: "directory of the hub's secrets (signing key, JWT secret, KYC master key, update key), else --data-dir; "
      + 'hubs on one database share it',
    parse: nonEmpty,
  },
  {
    flag: 'http-port', env: 'PAYALL_HTTP_PORT', field: 'httpPort', default: 3001, valueName: 'PORT',
    description: 'REST API port (0 picks a free one)',
    parse: port,
  },
  {
    flag: 'http-host', env: 'PAYALL_HTTP_HOST', field: 'httpHost', default: '127.0.0.1', valueName: 'HOST',
    description: 'interface the REST API listens on (0.0.0.0: every interface, for browsers and gateways on other machines)',
    parse: nonEmpty,
  },
  {
    flag: 'http-headers-timeout-ms', env: 'PAYALL_HTTP_HEADERS_TIMEOUT_MS', field: 'httpHeadersTimeout_ms', default: 10_000,
    valueName: 'MS', description: 'a request whose headers take longer to arrive is cut off with 408 (at most the request timeout)',
    parse: timeout_ms,
  },
  {
    flag: 'http-request-timeout-ms', env: 'PAYALL_HTTP_REQUEST_TIMEOUT_MS', field: 'httpRequestTimeout_ms', default: 60_000,
    valueName: 'MS', description: 'a request whose body has not all arrived after this long is cut off with 408',
    parse: timeout_ms,
  },
  {
    flag: 'http-connection-timeout-ms', env: 'PAYALL_HTTP_CONNECTION_TIMEOUT_MS', field: 'httpConnectionTimeout_ms', default: 60_000,
    valueName: 'MS', description: 'a connection with no traffic either way for this long is closed',
    parse: timeout_ms,
  },
  {
    flag: 'http-keep-alive-timeout-ms', env: 'PAYALL_HTTP_KEEP_ALIVE_TIMEOUT_MS', field: 'httpKeepAliveTimeout_ms', default: 10_000,
    valueName: 'MS', description: 'an idle keep-alive connection is closed after this long (behind a proxy: longer than its idle timeout)',
    parse: timeout_ms,
  },
  {
    flag: 'http-connections-max', env: 'PAYALL_HTTP_CONNECTIONS_MAX', field: 'httpConnectionsMax', default: 1_000, valueName: 'N',
    description: 'open REST API connections at once; past this a new connection is closed unanswered',
    parse: (text, name) => integerIn(text, name, 1, 1_000_000),
  },
  {
    flag: 'tls-cert', env: 'PAYALL_TLS_CERT', field: 'tlsCertFile', default: undefined, valueName: 'FILE',
    description: 'PEM certificate (then any chain) the REST API (HTTPS) and the embedded broker (mqtts) serve; '
      + 'gateways pin it when they are provisioned',
    parse: nonEmpty,
  },
  {
    flag: 'tls-key', env: 'PAYALL_TLS_KEY', field: 'tlsKeyFile', default: undefined, valueName: 'FILE',
    description: "the certificate's PEM private key (unencrypted; keep the file readable by the hub's user only)",
    parse: nonEmpty,
  },
  {
    flag: 'trust-proxy', env: 'PAYALL_TRUST_PROXY', field: 'trustProxy', default: [], valueName: 'ADDRESSES',
    description: 'comma-separated addresses or CIDRs of reverse proxies whose X-Forwarded-For names the client, for rate limits',
    parse: proxyAddresses,
  },
  {
    flag: 'metrics-port', env: 'PAYALL_METRICS_PORT', field: 'metricsPort', default: undefined, valueName: 'PORT',
    description: 'serve GET /metrics (Prometheus) without a token on 127.0.0.1 at this port, for a scraper on this machine (0 picks a free one)',
    parse: port,
  },
  {
    flag: 'mqtt-port', env: 'PAYALL_MQTT_PORT', field: 'mqttPort', default: 1883, valueName: 'PORT',
    description: 'embedded MQTT broker port (0 picks a free one)',
    parse: port,
  },
  {
    flag: 'mqtt-host', env: 'PAYALL_MQTT_HOST', field: 'mqttHost', default: '127.0.0.1', valueName: 'HOST',
    description: 'interface the embedded MQTT broker listens on (0.0.0.0: every interface, for gateways on other machines)',
    parse: nonEmpty,
  },
  {
    flag: 'mqtt-url', env: 'PAYALL_MQTT_URL', field: 'mqttUrl', default: undefined, valueName: 'URL',
    description: "external broker (mqtt://, mqtts://, ws://, wss://) instead of the embedded one; user:password@ in it are the hub's own login there",
    parse: (text, name) => url(text, name, ['mqtt:', 'mqtts:', 'ws:', 'wss:']),
  },
  {
    flag: 'mqtt-logins', env: 'PAYALL_MQTT_LOGINS', field: 'mqttLogins', default: 'broker', valueName: 'MODE',
    description: "with --mqtt-url: broker (the broker's own logins and ACL) | dynsec (the hub gives each provisioned gateway a login "
      + "and its own topics through Mosquitto's dynamic security plugin, and shuts a retired one out)",
    parse: (text, name) => oneOf(text, name, MQTT_LOGINS_MODES),
  },
  {
    env: 'PAYALL_OPERATOR_EMAIL', field: 'operatorEmail', default: undefined, valueName: 'EMAIL',
    description: 'first operator account, created only when none exists yet (else operator@payall.local)',
    parse: email,
  },
  {
    env: 'PAYALL_OPERATOR_PASSWORD', field: 'operatorPassword', default: undefined, valueName: 'PASSWORD',
    description: `its password, ${OPERATOR_PASSWORD_LENGTH_MIN}+ characters (else one is generated and printed once)`,
    parse: (text, name) => minLength(text, name, OPERATOR_PASSWORD_LENGTH_MIN),
  },
  {
    env: 'PAYALL_JWT_SECRET', field: 'jwtSecret', default: undefined, valueName: 'SECRET',
    description: `secret signing access tokens, ${JWT_SECRET_LENGTH_MIN}+ characters (else <data-dir>/jwt-secret)`,
    parse: (text, name) => minLength(text, name, JWT_SECRET_LENGTH_MIN),
  },
  {
    flag: 'log-level', env: 'PAYALL_LOG_LEVEL', field: 'logLevel', default: 'info', valueName: 'LEVEL',
    description: LOG_LEVELS.join(' | '),
    parse: logLevel,
  },
  {
    flag: 'cors-origin', env: 'PAYALL_CORS_ORIGIN', field: 'corsOrigins', default: [], valueName: 'ORIGINS',
    description: 'comma-separated origins allowed to call the API from a browser, or *',
    parse: corsOrigins,
  },
  {
    flag: 'chain-rpc', env: 'PAYALL_CHAIN_RPC', field: 'chainRpcUrl', default: undefined, valueName: 'URL',
    description: 'EVM JSON-RPC endpoint (http or https) batches are anchored on; without it they are sealed and queued',
    parse: (text, name) => url(text, name, ['http:', 'https:']),
  },
  {
    env: 'PAYALL_CHAIN_KEY', field: 'chainKey', default: undefined, valueName: 'HEX',
    description: 'private key (0x + 64 hex) that owns the Anchor contract and pays for anchor transactions',
    parse: (text, name) => hex(text, name, 32),
  },
  {
    flag: 'anchor-address', env: 'PAYALL_ANCHOR_ADDRESS', field: 'anchorAddress', default: undefined, valueName: 'ADDRESS',
    description: 'address (0x + 40 hex) of the Anchor contract (payall-hub deploy-anchor prints one)',
    parse: (text, name) => hex(text, name, 20),
  },
  {
    flag: 'anchor-batch-max', env: 'PAYALL_ANCHOR_BATCH_MAX', field: 'anchorBatchMax', default: anchor.batchMax, valueName: 'N',
    description: 'a batch is sealed once it holds this many settled transfers',
    parse: (text, name) => integerIn(text, name, 1, MERKLE_LEAVES_MAX),
  },
  {
    flag: 'anchor-batch-age-ms', env: 'PAYALL_ANCHOR_BATCH_AGE_MS', field: 'anchorBatchAge_ms', default: anchor.batchAge_ms, valueName: 'MS',
    description: 'or once its oldest transfer has waited this long',
    parse: (text, name) => integerIn(text, name, 0, 7 * 24 * 60 * 60 * 1000),
  },
  {
    flag: 'anchor-confirmations', env: 'PAYALL_ANCHOR_CONFIRMATIONS', field: 'anchorConfirmations', default: anchor.confirmations,
    valueName: 'N', description: 'blocks (the anchoring one included) before a batch counts as anchored',
    parse: (text, name) => integerIn(text, name, 1, CONFIRMATIONS_MAX),
  },
  {
    flag: 'anchor-max-fee-gwei', env: 'PAYALL_ANCHOR_MAX_FEE_GWEI', field: 'anchorMaxFeeGwei',
    default: Number(anchor.maxFeePerGas_wei / WEI_PER_GWEI), valueName: 'GWEI',
    description: 'the most paid per gas unit; above it anchoring waits for cheaper blocks',
    parse: (text, name) => integerIn(text, name, 1, 1_000_000),
  },
  {
    flag: 'anchor-tick-ms', env: 'PAYALL_ANCHOR_TICK_MS', field: 'anchorTick_ms', default: anchor.tickInterval_ms, valueName: 'MS',
    description: 'how often sealing is due and each batch is moved on towards anchored (a chain that fails backs off from 1 s)',
    parse: (text, name) => integerIn(text, name, 100, 60 * 60 * 1000),
  },
  {
    flag: 'explorer-url', env: 'PAYALL_EXPLORER_URL', field: 'explorerUrl', default: undefined, valueName: 'URL',
    description: "a block explorer of the anchoring chain (http or https, no query), e.g. https://etherscan.io: anchors link <URL>/tx/<hash>",
    parse: explorerUrl,
  },
  {
    flag: 'lora-mqtt-url', env: 'PAYALL_LORA_MQTT_URL', field: 'loraMqttUrl', default: undefined, valueName: 'URL',
    description: "a LoRaWAN network server's MQTT integration (mqtt://, mqtts://): gateways' LoRa reports in, revocation downlinks out",
    parse: (text, name) => url(text, name, ['mqtt:', 'mqtts:', 'ws:', 'wss:']),
  },
  {
    flag: 'lora-format', env: 'PAYALL_LORA_FORMAT', field: 'loraFormat', default: 'chirpstack', valueName: 'FORMAT',
    description: 'chirpstack (ChirpStack v4) | tts (The Things Stack v3)',
    parse: (text, name) => oneOf(text, name, NETWORK_SERVER_FORMATS),
  },
  {
    flag: 'lora-application', env: 'PAYALL_LORA_APPLICATION', field: 'loraApplication', default: undefined, valueName: 'ID',
    description: "the network server's application of the gateways' modems: ChirpStack's application id, or {app}@{tenant} for The Things Stack",
    parse: topicLevel,
  },
  {
    flag: 'lora-username', env: 'PAYALL_LORA_USERNAME', field: 'loraUsername', default: undefined, valueName: 'USER',
    description: "the hub's login at the network server's broker ({app}@{tenant} for The Things Stack)",
    parse: nonEmpty,
  },
  {
    env: 'PAYALL_LORA_PASSWORD', field: 'loraPassword', default: undefined, valueName: 'SECRET',
    description: "its password (The Things Stack: an API key allowed to read uplinks and write downlinks)",
    parse: nonEmpty,
  },
  {
    flag: 'lora-uplink-port', env: 'PAYALL_LORA_UPLINK_PORT', field: 'loraUplinkPort', default: LORA_UPLINK_PORT_DEFAULT, valueName: 'FPORT',
    description: "the LoRaWAN application port (1–223) of the gateways' commitment frames; a gateway's modem DevEUI is its EUI",
    parse: (text, name) => integerIn(text, name, 1, 223),
  },
  {
    flag: 'lora-downlink-port', env: 'PAYALL_LORA_DOWNLINK_PORT', field: 'loraDownlinkPort', default: LORA_DOWNLINK_PORT_DEFAULT, valueName: 'FPORT',
    description: 'the application port (1–223) of the revocation downlinks',
    parse: (text, name) => integerIn(text, name, 1, 223),
  },
  {
    flag: 'lora-catch-up-downlinks-per-report', env: 'PAYALL_LORA_CATCH_UP_DOWNLINKS_PER_REPORT', field: 'loraCatchUpDownlinksPerReport',
    default: 1, valueName: 'N',
    description: 'downlinks of the whole revocation list queued at each LoRa report of a gateway behind (class A takes one per uplink)',
    parse: (text, name) => integerIn(text, name, 1, 64),
  },
  {
    flag: 'voucher-limit-min-minor', env: 'PAYALL_VOUCHER_LIMIT_MIN_MINOR', field: 'voucherLimitMin_minor',
    default: policy.limitMin_minor, valueName: 'MINOR',
    description: 'the smallest offline allowance, in minor units (100: 100 XOF, 1.00 EUR)',
    parse: (text, name) => integerIn(text, name, 1, policy.limitMax_minor),
  },
  {
    flag: 'vouchers-open-per-device-max', env: 'PAYALL_VOUCHERS_OPEN_PER_DEVICE_MAX', field: 'vouchersOpenPerDeviceMax',
    default: policy.openPerDeviceMax, valueName: 'N',
    description: 'unexpired, unrevoked vouchers one device may hold (a voucher and its renewal)',
    parse: (text, name) => integerIn(text, name, 1, 64),
  },
  {
    flag: 'vouchers-open-per-customer-max', env: 'PAYALL_VOUCHERS_OPEN_PER_CUSTOMER_MAX', field: 'vouchersOpenPerCustomerMax',
    default: policy.openPerCustomerMax, valueName: 'N',
    description: 'and one customer over all their devices',
    parse: (text, name) => integerIn(text, name, 1, 256),
  },
  {
    flag: 'vouchers-issued-per-window-max', env: 'PAYALL_VOUCHERS_ISSUED_PER_WINDOW_MAX', field: 'vouchersIssuedPerWindowMax',
    default: policy.issuedPerWindowMax, valueName: 'N',
    description: 'vouchers one customer may be issued within any --voucher-window-ms; the next is answered 429',
    parse: (text, name) => integerIn(text, name, 1, 1024),
  },
  {
    flag: 'voucher-revocations-per-window-max', env: 'PAYALL_VOUCHER_REVOCATIONS_PER_WINDOW_MAX', field: 'voucherRevocationsPerWindowMax',
    default: policy.revokedPerWindowMax, valueName: 'N',
    description: "once this many of a customer's vouchers were revoked within the window, no new one until it has passed (429); revoking itself is never refused",
    parse: (text, name) => integerIn(text, name, 1, 1024),
  },
  {
    flag: 'voucher-window-ms', env: 'PAYALL_VOUCHER_WINDOW_MS', field: 'voucherWindow_ms',
    default: policy.window_ms, valueName: 'MS',
    description: 'the rolling window of the two rates above',
    parse: (text, name) => integerIn(text, name, 60_000, 30 * DAY_MS),
  },
  {
    flag: 'revocable-vouchers-max', env: 'PAYALL_REVOCABLE_VOUCHERS_MAX', field: 'revocableVouchersMax',
    default: policy.revocableMax, valueName: 'N',
    description: `vouchers not yet past expiry + ${policy.listedAfterExpiry_ms / 3_600_000} h the whole hub may have: the revocation list never outgrows it; at the bound no voucher is issued (503) until some expire (at most ${REVOKED_VOUCHERS_MAX})`,
    parse: (text, name) => integerIn(text, name, 1, REVOKED_VOUCHERS_MAX),
  },
  {
    flag: 'phone-region', env: 'PAYALL_PHONE_REGION', field: 'phoneRegion', default: PHONE_REGION_DEFAULT, valueName: 'REGION',
    description: 'ISO 3166 code of the region whose numbers people type without +country code; SN (Senegal, +221), ' +
      'where the legacy system ran, unless the hub serves another country',
    parse: phoneRegion,
  },
]

/** What a hub runs with when nothing is given: the option table's defaults, nowhere else. */
const DEFAULTS = Object.fromEntries(CONFIG_OPTIONS.map(option => [option.field, option.default])) as unknown as HubConfig

/**
 * Builds the configuration from flags and environment; a flag wins over its variable, and an
 * empty variable counts as unset. Throws ConfigError naming the flag or variable at fault, or the
 * options that do not fit together (CONFIG_RULES), before anything is started. The result is frozen.
 */
export function parseConfig(argv: readonly string[], env: NodeJS.ProcessEnv): HubConfig {
  const { values, given } = parseOptions(argv, env, CONFIG_OPTIONS)
  const config = { ...DEFAULTS, ...values } as HubConfig
  checkRules(config, given)
  return deepFrozen(config)
}

/**
 * Only the options of `fields`, each checked on its own, for a command that needs no more than
 * those (deploy-anchor); any other flag is refused as unknown.
 */
export function parseConfigFields<F extends keyof HubConfig>(
  argv: readonly string[], env: NodeJS.ProcessEnv, fields: readonly F[],
): Pick<HubConfig, F> {
  const options = CONFIG_OPTIONS.filter(option => (fields as readonly string[]).includes(option.field))
  const { values } = parseOptions(argv, env, options)
  const picked: Partial<Record<keyof HubConfig, unknown>> = {}
  for (const option of options) picked[option.field] = option.field in values ? values[option.field] : option.default
  return deepFrozen(picked as Pick<HubConfig, F>)
}

/**
 * Refuses a configuration whose options do not fit together, as parseConfig does; startHub applies
 * it to a configuration built by hand (tests, the simulator), which names unset options by variable.
 */
/** Where the hub's secrets are: --keys-dir, else the data folder. */
export function keysDirOf(config: Pick<HubConfig, 'dataDir' | 'keysDir'>): string {
  return config.keysDir ?? config.dataDir
}

export function checkConfig(config: HubConfig): void {
  checkRules(config, new Map())
}

/** The default as --help shows it; undefined for an option that is unset unless given. */
export function defaultText(option: ConfigOption): string | undefined {
  const value: unknown = option.default
  if (value === undefined) return undefined
  if (Array.isArray(value)) return value.length === 0 ? 'none' : value.join(',')
  return String(value)
}

/** The --help text, generated from CONFIG_OPTIONS; `commands` (the program's usage lines and an example) open it. */
export function helpText(programName: string, commands: readonly string[] = [`Usage: ${programName} [options]`]): string {
  const options = CONFIG_OPTIONS.flatMap((option) => {
    const source = option.flag === undefined
      ? `${option.env}=${option.valueName}  (environment only`
      : `--${option.flag} ${option.valueName}  (${option.env}`
    const shown = defaultText(option)
    return [`  ${source}${shown === undefined ? '' : `, default ${shown}`})`, `      ${option.description}`]
  })
  return [
    `${programName} — the PayAll hub: REST API (with OpenAPI docs at /docs) and the MQTT side that settles`,
    'what the terminals took.',
    '',
    ...commands,
    '',
    'Options of the hub (also read by reset-operator: --data-dir, PAYALL_OPERATOR_EMAIL, PAYALL_OPERATOR_PASSWORD).',
    'Each option is a flag or the environment variable beside it; a flag wins. Secrets are',
    'environment only, so they never show in a process list.',
    '',
    ...options,
    '  -h, --help',
    '      show this help',
    '',
  ].join('\n')
}

/**
 * How a rule between options names one: as the user gave it (flag or variable), or, for one not
 * given, by its flag and variable both.
 */
class OptionNames {
  constructor(private readonly given: GivenNames) {}

  /** For ConfigError.field: as given, else the option's variable. */
  field(field: keyof HubConfig): string {
    return this.given.get(field) ?? optionOf(field).env
  }

  /** For a message. */
  label(field: keyof HubConfig): string {
    const option = optionOf(field)
    return this.given.get(field) ?? (option.flag === undefined ? option.env : `--${option.flag} (${option.env})`)
  }

  /** "A needs", "A and B need". */
  need(fields: readonly (keyof HubConfig)[]): string {
    return `${listed(fields.map(field => this.label(field)))} ${fields.length === 1 ? 'needs' : 'need'}`
  }
}

/** The error when `config` breaks this rule between its options, else undefined. */
type ConfigRule = (config: HubConfig, names: OptionNames) => ConfigError | undefined

const CHAIN_FIELDS = ['chainRpcUrl', 'chainKey', 'anchorAddress'] as const
const TLS_FIELDS = ['tlsCertFile', 'tlsKeyFile'] as const
const LORA_FIELDS_NEEDING_URL = ['loraApplication', 'loraUsername', 'loraPassword'] as const
const WILDCARD_HOSTS: readonly string[] = ['0.0.0.0', '::']

/** Checked in order, the first broken rule the error; each comment says what the hub would do with such options. */
const CONFIG_RULES: readonly ConfigRule[] = [
  // A certificate without its key (or a key alone) serves nothing: it would speak plain HTTP and MQTT, unasked.
  (config, names) => {
    const missing = TLS_FIELDS.filter(field => config[field] === undefined)
    if (missing.length !== 1) return undefined
    const set = TLS_FIELDS.filter(field => config[field] !== undefined)
    return new ConfigError('MISSING_OPTION', names.field(missing[0]!),
      `${names.need(set)} ${names.label(missing[0]!)} too: TLS takes a certificate and its key, or neither`)
  },
  // With one or two of the three it would only seal batches and queue them, as with none, and say so in a warning.
  (config, names) => {
    const missing = CHAIN_FIELDS.filter(field => config[field] === undefined)
    if (missing.length === 0 || missing.length === CHAIN_FIELDS.length) return undefined
    const set = CHAIN_FIELDS.filter(field => config[field] !== undefined)
    return new ConfigError('MISSING_OPTION', names.field(missing[0]!),
      `${names.need(set)} ${listed(missing.map(field => names.label(field)))} too: anchoring takes all three or none`)
  },
  // It would link nothing: without a chain no batch gets a transaction to show.
  (config, names) => config.explorerUrl !== undefined && config.chainRpcUrl === undefined
    ? new ConfigError('MISSING_OPTION', names.field('chainRpcUrl'),
      `${names.need(['explorerUrl'])} ${names.label('chainRpcUrl')}: without a chain there is no anchor transaction to link to`)
    : undefined,
  // Without the network server's URL it would run no LoRa path, whatever these say.
  (config, names) => {
    const set = LORA_FIELDS_NEEDING_URL.filter(field => config[field] !== undefined)
    if (config.loraMqttUrl !== undefined || set.length === 0) return undefined
    return new ConfigError('MISSING_OPTION', names.field('loraMqttUrl'),
      `${names.need(set)} ${names.label('loraMqttUrl')}: without it there is no LoRa path`)
  },
  // It would have no uplink topic to subscribe to (this, and the rules below, threw once the hub was serving).
  (config, names) => config.loraMqttUrl !== undefined && config.loraApplication === undefined
    ? new ConfigError('MISSING_OPTION', names.field('loraApplication'),
      `${names.need(['loraMqttUrl'])} ${names.label('loraApplication')}: the gateways' uplinks are under it`)
    : undefined,
  // It would subscribe to topics The Things Stack never publishes.
  (config, names) => config.loraMqttUrl !== undefined && config.loraFormat === 'tts' && config.loraApplication !== undefined &&
    !/^[^@]+@[^@]+$/.test(config.loraApplication)
    ? new ConfigError('CONFLICTING_OPTIONS', names.field('loraApplication'),
      `with ${names.label('loraFormat')} tts, ${names.label('loraApplication')} is {app}@{tenant}, got '${config.loraApplication}'`)
    : undefined,
  // The Things Stack's broker takes no anonymous client: it would retry its login for ever.
  (config, names) => {
    const missing = (['loraUsername', 'loraPassword'] as const).filter(field => config[field] === undefined)
    if (config.loraMqttUrl === undefined || config.loraFormat !== 'tts' || missing.length === 0) return undefined
    return new ConfigError('MISSING_OPTION', names.field(missing[0]!),
      `with ${names.label('loraFormat')} tts, ${listed(missing.map(field => names.label(field)))} ${missing.length === 1 ? 'is' : 'are'} ` +
      "needed: The Things Stack's broker takes no anonymous client")
  },
  // No gateway would follow it: a terminal refuses one port both ways (terminal/config.ts).
  (config, names) => config.loraMqttUrl !== undefined && config.loraUplinkPort === config.loraDownlinkPort
    ? new ConfigError('CONFLICTING_OPTIONS', names.field('loraDownlinkPort'),
      `${names.label('loraUplinkPort')} and ${names.label('loraDownlinkPort')} must differ, both are ${config.loraUplinkPort}`)
    : undefined,
  // The embedded broker checks gateways itself: there is no plugin to drive.
  (config, names) => config.mqttLogins === 'dynsec' && config.mqttUrl === undefined
    ? new ConfigError('MISSING_OPTION', names.field('mqttUrl'),
      `${names.label('mqttLogins')} dynsec drives an external Mosquitto: ${names.label('mqttUrl')} names it`)
    : undefined,
  // The metrics listener is on 127.0.0.1, which a REST API or broker on that port (or every interface) holds already.
  (config, names) => {
    if (config.metricsPort === undefined || config.metricsPort === 0) return undefined
    const taken = config.metricsPort === config.httpPort ? 'httpPort' : config.mqttUrl === undefined && config.metricsPort === config.mqttPort
      ? 'mqttPort' : undefined
    return taken === undefined ? undefined : new ConfigError('CONFLICTING_OPTIONS', names.field('metricsPort'),
      `${names.label(taken)} and ${names.label('metricsPort')} must differ, both are ${config.metricsPort}`)
  },
  // The second of the two to listen would fail, after the first is up.
  (config, names) => config.mqttUrl === undefined && config.httpPort !== 0 && config.httpPort === config.mqttPort &&
    (config.httpHost === config.mqttHost || WILDCARD_HOSTS.includes(config.httpHost) || WILDCARD_HOSTS.includes(config.mqttHost))
    ? new ConfigError('CONFLICTING_OPTIONS', names.field('mqttPort'),
      `${names.label('httpPort')} and ${names.label('mqttPort')} (the embedded broker) must differ, both are ${config.httpPort}`)
    : undefined,
]

/**
 * How an error found after parsing (hub/tls.ts reads the files) names an option, not knowing whether
 * it came as a flag or a variable: ConfigError's field is its variable, a message gives both.
 */
export function optionNaming(field: keyof HubConfig): { readonly field: string; readonly label: string } {
  const names = new OptionNames(new Map())
  return { field: names.field(field), label: names.label(field) }
}

function checkRules(config: HubConfig, given: GivenNames): void {
  const names = new OptionNames(given)
  for (const rule of CONFIG_RULES) {
    const error = rule(config, names)
    if (error !== undefined) throw error
  }
}

function optionOf(field: keyof HubConfig): ConfigOption {
  const option = CONFIG_OPTIONS.find(candidate => candidate.field === field)
  assert(option !== undefined, `${field} is in the option table`)
  return option
}

/** "A", "A and B", "A, B and C". */
function listed(items: readonly string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`
}

/** The flag or variable each given option came from, so an error names what the user typed. */
type GivenNames = ReadonlyMap<keyof HubConfig, string>

function parseOptions(
  argv: readonly string[], env: NodeJS.ProcessEnv, options: readonly ConfigOption[],
): { values: Partial<Record<keyof HubConfig, unknown>>; given: GivenNames } {
  const flags = parseFlags(argv, options)
  const values: Partial<Record<keyof HubConfig, unknown>> = {}
  const given = new Map<keyof HubConfig, string>()
  for (const option of options) {
    const flagText = option.flag === undefined ? undefined : flags[option.flag]
    const envText = env[option.env]
    const [name, text] = flagText !== undefined
      ? [`--${option.flag}`, flagText]
      : [option.env, envText === '' ? undefined : envText]
    if (text === undefined) continue
    values[option.field] = option.parse(text, name)
    given.set(option.field, name)
  }
  return { values, given }
}

function parseFlags(argv: readonly string[], options: readonly ConfigOption[]): Record<string, string | undefined> {
  const flags: Record<string, { type: 'string' }> = {}
  for (const option of options) if (option.flag !== undefined) flags[option.flag] = { type: 'string' }
  try {
    const { values } = parseArgs({ args: [...argv], options: flags, strict: true, allowPositionals: false })
    return values as Record<string, string | undefined>
  } catch (error) {
    // parseArgs names the offending argument in its message ("Unknown option '--x'").
    const message = (error as Error).message
    const offender = /'(-{1,2}[^' ]+|[^']*)/.exec(message)?.[1] ?? 'arguments'
    throw new ConfigError('BAD_OPTION', offender, `${message} (see --help)`)
  }
}

/** Arrays inside are frozen too: a running hub's configuration never changes under it. */
function deepFrozen<T extends object>(config: T): T {
  for (const value of Object.values(config)) if (Array.isArray(value)) Object.freeze(value)
  return Object.freeze(config)
}

function nonEmpty(text: string, name: string): string {
  if (text.trim() === '') throw new ConfigError('BAD_OPTION', name, `${name} must not be empty`)
  return text
}

/** One MQTT topic level, as the LoRa application id is in the network server's topics. */
function topicLevel(text: string, name: string): string {
  if (!isTopicLevel(nonEmpty(text, name))) throw new ConfigError('BAD_OPTION', name, `${name} must be one MQTT topic level (no / + or #), got '${text}'`)
  return text
}

function integerIn(text: string, name: string, min: number, max: number): number {
  const value = /^\d{1,16}$/.test(text) ? Number(text) : Number.NaN
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError('BAD_OPTION', name, `${name} must be an integer ${min}–${max}, got '${text}'`)
  }
  return value
}

function timeout_ms(text: string, name: string): number {
  return integerIn(text, name, TIMEOUT_MIN_MS, TIMEOUT_MAX_MS)
}

function port(text: string, name: string): number {
  const value = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN
  if (!(value >= 0 && value <= PORT_MAX)) {
    throw new ConfigError('BAD_OPTION', name, `${name} must be an integer 0–${PORT_MAX}, got '${text}'`)
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
    throw new ConfigError('BAD_OPTION', name, `${name} must be a ${protocols.map((p) => `${p}//`).join(' or ')} URL, got '${text}'`)
  }
  return text
}

/**
 * An http(s) base URL with no query, fragment or login, since the hub appends /tx/<hash> to it;
 * returned without a trailing slash, so the link has none doubled.
 */
function explorerUrl(text: string, name: string): string {
  url(text, name, ['http:', 'https:'])
  const parsed = new URL(text)
  if (parsed.search !== '' || parsed.hash !== '' || parsed.username !== '' || parsed.password !== '' || text.includes('?') || text.includes('#')) {
    // Not echoed: a login in it may be a secret.
    throw new ConfigError('BAD_OPTION', name, `${name} must be a base URL with no query, fragment or login, such as https://etherscan.io`)
  }
  return `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`
}

function email(text: string, name: string): string {
  const value = text.trim().toLowerCase()
  if (!/^[^\s@]+@[^\s@]+$/.test(value)) throw new ConfigError('BAD_OPTION', name, `${name} must be an email address, got '${text}'`)
  return value
}

/** Never echoes the value: these options are secrets. */
function minLength(text: string, name: string, length_min: number): string {
  if (text.length < length_min) {
    throw new ConfigError('BAD_OPTION', name, `${name} must be at least ${length_min} characters, got ${text.length}`)
  }
  return text
}

function oneOf<T extends string>(text: string, name: string, values: readonly T[]): T {
  const value = values.find((candidate) => candidate === text)
  if (value === undefined) throw new ConfigError('BAD_OPTION', name, `${name} must be one of ${values.join(', ')}, got '${text}'`)
  return value
}

function phoneRegion(text: string, name: string): PhoneRegion {
  const region = text.trim().toUpperCase()
  if (!isPhoneRegion(region)) throw new ConfigError('BAD_OPTION', name, `${name} must be an ISO 3166 region code such as SN or FR, got '${text}'`)
  return region
}

function logLevel(text: string, name: string): LogLevel {
  const level = LOG_LEVELS.find((candidate) => candidate === text)
  if (level === undefined) throw new ConfigError('BAD_OPTION', name, `${name} must be one of ${LOG_LEVELS.join(', ')}, got '${text}'`)
  return level
}

function corsOrigins(text: string, name: string): readonly string[] {
  const origins = text.split(',').map((part) => part.trim()).filter((part) => part !== '')
  if (origins.length === 0) throw new ConfigError('BAD_OPTION', name, `${name} must list at least one origin, got '${text}'`)
  if (origins.includes('*')) {
    if (origins.length > 1) throw new ConfigError('BAD_OPTION', name, `${name} is either * or a list of origins, got '${text}'`)
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
      throw new ConfigError('BAD_OPTION', name, `${name} must list origins such as https://shop.example:8443, got '${origin}'`)
    }
  }
  return origins
}

/** IPv4 or IPv6 addresses, each optionally with a /prefix length. */
function proxyAddresses(text: string, name: string): readonly string[] {
  const entries = text.split(',').map((part) => part.trim()).filter((part) => part !== '')
  if (entries.length === 0) throw new ConfigError('BAD_OPTION', name, `${name} must list at least one address, got '${text}'`)
  for (const entry of entries) {
    const [address = '', prefix, ...rest] = entry.split('/')
    const version = isIP(address)
    const prefix_max = version === 4 ? 32 : 128
    const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= prefix_max)
    if (version === 0 || !prefixOk || rest.length > 0) {
      throw new ConfigError('BAD_OPTION', name, `${name} must list IP addresses or CIDRs such as 10.0.0.0/8, got '${entry}'`)
    }
  }
  return entries
}

/** Never echoes the value: PAYALL_CHAIN_KEY is a secret. */
function hex(text: string, name: string, length_bytes: number): string {
  if (!new RegExp(`^0x[0-9a-fA-F]{${length_bytes * 2}}$`).test(text)) {
    throw new ConfigError('BAD_OPTION', name, `${name} must be 0x followed by ${length_bytes * 2} hex digits`)
  }
  return text
}
