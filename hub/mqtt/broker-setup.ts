// `payall-hub broker-setup`: the hub's own tooling for an external Mosquitto 2 that lets in only what the hub
// provisions (PAYALL_MQTT_LOGINS=dynsec). It writes the broker's configuration (no anonymous client, the dynamic
// security plugin, the queue limits the embedded broker keeps), initialises the plugin's file with the hub's admin
// login under a generated password, and says how to start the broker and what to give the hubs.

import { execFileSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { delimiter, join, resolve } from 'node:path'
import { userInfo } from 'node:os'
import { parseArgs } from 'node:util'
import type { RandomBytes } from '../../protocol/clock'
import { CodedError, errorText } from '../../protocol/errors'
import { QUEUE_BOUNDS_DEFAULT } from './bounded-persistence'

/** The login the hubs use: `mosquitto_ctrl dynsec init` makes it the plugin's admin, and the hub gives it its role. */
const HUB_BROKER_USERNAME = 'payall-hub'
const BROKER_CONFIG_FILE = 'mosquitto.conf'
const DYNSEC_FILE = 'dynamic-security.json'
const HUB_PASSWORD_FILE = 'hub-password'
const HUB_PASSWORD_BYTES = 24
const PORT_DEFAULT = 1883
const HOST_DEFAULT = '127.0.0.1'
/**
 * How long Mosquitto keeps the session of a gateway that is away. One away longer loses nothing by it: it re-sends
 * what was not acked, gets its config and the latest revocation delta retained, and asks for the deltas it missed.
 * The bound keeps the queues of gateways gone for good (a retired one's too) from being held for ever.
 */
const SESSION_EXPIRATION = '7d'

export const BROKER_SETUP_HELP = [
  'Broker command:',
  '  payall-hub broker-setup --dir DIR [--port 1883] [--host 127.0.0.1]',
  '      make a Mosquitto 2 deployment\'s logins and ACL in DIR: mosquitto.conf (no anonymous client, the dynamic',
  '      security plugin, the queue limits), the plugin\'s file with the hub\'s login, and DIR/hub-password;',
  '      prints the command that starts the broker and the PAYALL_MQTT_URL to give the hubs',
  '',
].join('\n')

export type BrokerSetupErrorCode =
  /** DIR holds part of a setup, or a complete one made for another listener: nothing is overwritten. */
  | 'BROKER_SETUP_EXISTS'
  /** mosquitto_dynamic_security.so is not on this machine. */
  | 'DYNSEC_PLUGIN_MISSING'
  /** A Mosquitto program (mosquitto, mosquitto_ctrl) is not on this machine. */
  | 'MOSQUITTO_MISSING'
  /** mosquitto_ctrl failed to initialise the plugin's file. */
  | 'BROKER_SETUP_FAILED'

export class BrokerSetupError extends CodedError<BrokerSetupErrorCode> {
  override readonly name = 'BrokerSetupError'
}

export interface BrokerSetupOptions {
  readonly dir: string
  /** The listener; undefined: an existing setup's, else 1883 on 127.0.0.1. */
  readonly port?: number
  readonly host?: string
  readonly random: RandomBytes
  /** Where the plugin may be; by default where Debian and a build from source put it. */
  readonly pluginCandidates?: readonly string[]
}

/** A setup ready to run: where its files are, and the URLs of its listener. */
export interface BrokerSetup {
  /** Absolute. */
  readonly dir: string
  readonly configFile: string
  readonly port: number
  readonly host: string
  /** The listener, without a login. */
  readonly brokerUrl: string
  /** The listener with the hub's login: the hubs' PAYALL_MQTT_URL. */
  readonly hubLoginUrl: string
  /** False when DIR already held this complete setup, which was left as it was. */
  readonly created: boolean
}

/**
 * Makes the setup in `dir`, or returns the complete one already there. The plugin's file and the hub's password
 * are written first and the configuration last, so a setup that stopped half-way lacks the file `mosquitto -c`
 * needs and is refused rather than half reused.
 */
export function setUpBroker(options: BrokerSetupOptions): BrokerSetup {
  const dir = resolve(options.dir)
  const files = { config: join(dir, BROKER_CONFIG_FILE), dynsec: join(dir, DYNSEC_FILE), password: join(dir, HUB_PASSWORD_FILE) }
  const present = Object.values(files).filter(file => existsSync(file))
  if (present.length === Object.keys(files).length) return existingSetup(dir, files, options)
  if (present.length > 0) {
    throw new BrokerSetupError('BROKER_SETUP_EXISTS', `${dir} holds part of a broker setup (${present.join(', ')}) and nothing is `
      + 'overwritten: remove it, or give another --dir')
  }
  const plugin = dynsecPlugin(options.pluginCandidates ?? pluginCandidates())
  const mosquittoCtrl = mosquittoProgram('mosquitto_ctrl')
  const port = options.port ?? PORT_DEFAULT
  const host = options.host ?? HOST_DEFAULT
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const password = Buffer.from(options.random(HUB_PASSWORD_BYTES)).toString('base64url')
  try {
    execFileSync(mosquittoCtrl, ['dynsec', 'init', files.dynsec, HUB_BROKER_USERNAME, password], { stdio: ['ignore', 'ignore', 'pipe'] })
  } catch (error) {
    throw new BrokerSetupError('BROKER_SETUP_FAILED', `mosquitto_ctrl dynsec init ${files.dynsec} failed: ${errorText(error)}`)
  }
  // mosquitto_ctrl answers 0 even when it refuses to write, so the file's presence is the proof.
  if (!existsSync(files.dynsec)) throw new BrokerSetupError('BROKER_SETUP_FAILED', `mosquitto_ctrl made no ${files.dynsec}`)
  // It holds the hub's password hash and, once the hub drives it, every gateway's.
  chmodSync(files.dynsec, 0o600)
  writeFileSync(files.password, `${password}\n`, { mode: 0o600, flag: 'wx' })
  writeFileSync(files.config, brokerConfig({ dir, port, host, plugin, dynsecFile: files.dynsec }), { mode: 0o600, flag: 'wx' })
  return setupOf(dir, files.config, port, host, password, true)
}

function existingSetup(dir: string, files: { config: string; password: string }, options: BrokerSetupOptions): BrokerSetup {
  const listener = /^listener (\d+) (\S+)$/m.exec(readFileSync(files.config, 'utf8'))
  if (listener === null) {
    throw new BrokerSetupError('BROKER_SETUP_EXISTS', `${files.config} has no "listener PORT HOST" line: it was not made by broker-setup`)
  }
  const port = Number(listener[1])
  const host = listener[2]!
  if ((options.port !== undefined && options.port !== port) || (options.host !== undefined && options.host !== host)) {
    throw new BrokerSetupError('BROKER_SETUP_EXISTS', `${dir} holds a broker setup listening on ${host}:${port}, not `
      + `${options.host ?? host}:${options.port ?? port}: remove it, or give another --dir`)
  }
  return setupOf(dir, files.config, port, host, readFileSync(files.password, 'utf8').trim(), false)
}

function setupOf(dir: string, configFile: string, port: number, host: string, password: string, created: boolean): BrokerSetup {
  // A listener on every interface is reached on this machine at the loopback address.
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host
  const brokerUrl = new URL(`mqtt://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`)
  const hubLoginUrl = new URL(brokerUrl)
  hubLoginUrl.username = HUB_BROKER_USERNAME
  hubLoginUrl.password = password
  return { dir, configFile, port, host, brokerUrl: brokerUrl.href, hubLoginUrl: hubLoginUrl.href, created }
}

function brokerConfig({ dir, port, host, plugin, dynsecFile }: { dir: string; port: number; host: string; plugin: string; dynsecFile: string }): string {
  return [
    '# Made by payall-hub broker-setup: the hub keeps the logins and ACL in the dynamic security plugin.',
    `listener ${port} ${host}`,
    'allow_anonymous false',
    'per_listener_settings false',
    `plugin ${plugin}`,
    `plugin_opt_config_file ${dynsecFile}`,
    '# The embedded broker\'s bounds on what is queued for one gateway; a gateway away past the expiry catches up by itself.',
    `max_queued_messages ${QUEUE_BOUNDS_DEFAULT.messagesPerGateway_max}`,
    `max_queued_bytes ${QUEUE_BOUNDS_DEFAULT.bytesPerGateway_max}`,
    `persistent_client_expiration ${SESSION_EXPIRATION}`,
    'persistence true',
    `persistence_location ${dir}/`,
    // Started as root, Mosquitto would switch to the user `mosquitto`, who cannot read the files made here;
    // as anyone else it ignores this line.
    `user ${userInfo().username}`,
    '',
  ].join('\n')
}

/** Where Debian (per architecture) and a build from source put the plugin. */
function pluginCandidates(): string[] {
  const multiarch: Partial<Record<NodeJS.Architecture, string>> = {
    x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu', arm: 'arm-linux-gnueabihf', ia32: 'i386-linux-gnu',
  }
  const debian = multiarch[process.arch]
  return [
    ...(debian === undefined ? [] : [`/usr/lib/${debian}/mosquitto_dynamic_security.so`]),
    '/usr/lib/mosquitto_dynamic_security.so',
    '/usr/local/lib/mosquitto_dynamic_security.so',
  ]
}

function dynsecPlugin(candidates: readonly string[]): string {
  const found = candidates.find(candidate => existsSync(candidate))
  if (found === undefined) {
    throw new BrokerSetupError('DYNSEC_PLUGIN_MISSING', `Mosquitto's dynamic security plugin is not on this machine (looked for `
      + `${candidates.join(', ')}): apt-get install mosquitto`)
  }
  return found
}

/** A Mosquitto program by name: on PATH, or in the sbin folders a user's PATH often lacks. */
export function mosquittoProgram(name: 'mosquitto' | 'mosquitto_ctrl'): string {
  const folders = [...(process.env.PATH ?? '').split(delimiter).filter(folder => folder !== ''), '/usr/sbin', '/usr/local/sbin']
  const found = folders.map(folder => join(folder, name)).find(path => existsSync(path))
  if (found === undefined) throw new BrokerSetupError('MOSQUITTO_MISSING', `${name} is not on this machine: apt-get install mosquitto`)
  return found
}

/** The two lines a user needs: how to start the broker, and what to give the hubs. */
function brokerSetupLines(setup: BrokerSetup): string {
  return `mosquitto -c ${shellWord(setup.configFile)}\n`
    + `PAYALL_MQTT_URL=${shellWord(setup.hubLoginUrl)} PAYALL_MQTT_LOGINS=dynsec\n`
}

function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll('\'', '\'\\\'\'')}'`
}

interface CommandIo {
  stdout: { write(text: string): unknown }
  stderr: { write(text: string): unknown }
}

/** Exit 0 with the two lines, 2 for a bad option or a setup it will not overwrite, 1 when Mosquitto is missing or fails. */
export function brokerSetupCommand(argv: readonly string[], random: RandomBytes, io: CommandIo): number {
  const program = 'payall-hub broker-setup'
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout.write(BROKER_SETUP_HELP)
    return 0
  }
  let options: { dir: string; port: number | undefined; host: string | undefined }
  try {
    options = brokerSetupOptions(argv)
  } catch (error) {
    io.stderr.write(`${program}: BAD_OPTION: ${(error as Error).message}\n${BROKER_SETUP_HELP}`)
    return 2
  }
  try {
    io.stdout.write(brokerSetupLines(setUpBroker({ ...options, random })))
    return 0
  } catch (error) {
    if (!(error instanceof BrokerSetupError)) throw error
    io.stderr.write(`${program}: ${errorText(error)}\n`)
    return error.code === 'BROKER_SETUP_EXISTS' ? 2 : 1
  }
}

function brokerSetupOptions(argv: readonly string[]): { dir: string; port: number | undefined; host: string | undefined } {
  const { values } = parseArgs({
    args: [...argv], strict: true, allowPositionals: false,
    options: { dir: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' } },
  })
  if (values.dir === undefined || values.dir === '') throw new Error('--dir DIR is required: the folder the setup is made in')
  const port = values.port === undefined ? undefined : Number(values.port)
  if (port !== undefined && (!/^\d+$/.test(values.port!) || port < 1 || port > 65_535)) {
    throw new Error(`--port must be a port number (1 to 65535), got '${values.port}'`)
  }
  if (values.host === '') throw new Error('--host must not be empty')
  return { dir: values.dir, port, host: values.host }
}
