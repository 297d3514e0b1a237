#!/usr/bin/env node
// payall-hub: starts the hub from flags and PAYALL_* variables, prints where it serves, and stops
// gracefully on SIGINT/SIGTERM. Exit 0 after a clean stop, 2 for a bad option, 1 if it cannot start.
// `payall-hub deploy-anchor` and `payall-hub verify-proof` are the anchoring commands (hub/anchor/commands.ts);
// `payall-hub publish-update` signs an update bundle for the gateways (hub/updates/publish-update.ts);
// `payall-hub broker-setup` makes an external Mosquitto's logins and ACL (hub/mqtt/broker-setup.ts).

import { parseNotifyConfig, NOTIFY_HELP } from './notify/config'
import { ANCHOR_COMMANDS_HELP, deployAnchorCommand, verifyProofCommand } from './anchor/commands'
import { errorText } from '../protocol/errors'
import { ConfigError, helpText, parseConfig, type HubConfig } from './config'
import { APP_VERSION } from './http/health'
import { startHub, type RunningHub } from './server'
import { resetOperatorCommand } from './users/reset-operator'
import { importCommand } from './legacy/import-command'
import { PUBLISH_UPDATE_HELP, publishUpdateCommand } from './updates/publish-update'
import { BROKER_SETUP_HELP, brokerSetupCommand } from './mqtt/broker-setup'
import { systemClock, systemRandom } from '../protocol/clock'

const PROGRAM = 'payall-hub'

/** The top of --help: the commands in the order an operator meets them, and the first one to type. */
const COMMANDS = [
  `Usage: ${PROGRAM} [options]                       start the hub: REST API, dashboard, MQTT broker`,
  `       ${PROGRAM} reset-operator [--data-dir DIR]  a new operator password, with the hub stopped`,
  `       ${PROGRAM} deploy-anchor [--chain-rpc URL]  deploy the Anchor contract (see Anchoring commands)`,
  `       ${PROGRAM} verify-proof FILE | --id ID --hub URL   check a transfer's anchoring proof`,
  `       ${PROGRAM} publish-update PACKAGE.tgz       sign a release for the gateways (see Update command)`,
  `       ${PROGRAM} broker-setup --dir DIR          an external Mosquitto's logins and ACL (see Broker command)`,
  `       ${PROGRAM} import --currency CODE --web-dump FILE --mobile-dump FILE   the legacy system's data (import --help)`,
  '',
  `Example: ${PROGRAM} --data-dir ./data   (on 127.0.0.1:3001 and :1883; --http-host 0.0.0.0 --mqtt-host 0.0.0.0 to serve other machines)`,
]

export interface CliIo {
  stdout: { write(text: string): unknown }
  stderr: { write(text: string): unknown }
  /** Resolves, with a reason, once the hub should stop: by default on SIGINT or SIGTERM. */
  untilStopRequested(): Promise<string>
}

const processIo: CliIo = {
  stdout: process.stdout,
  stderr: process.stderr,
  untilStopRequested: untilSignal,
}

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv, io: CliIo = processIo): Promise<number> {
  if (argv[0] === 'deploy-anchor') return deployAnchorCommand(argv.slice(1), env, io)
  if (argv[0] === 'verify-proof') return verifyProofCommand(argv.slice(1), env, io)
  if (argv[0] === 'reset-operator') return resetOperatorCommand(argv.slice(1), env, io)
  if (argv[0] === 'import') return importCommand(argv.slice(1), env, { ...io, clock: systemClock, random: systemRandom })
  if (argv[0] === 'publish-update') return publishUpdateCommand(argv.slice(1), env, { ...io, clock: systemClock, random: systemRandom })
  if (argv[0] === 'broker-setup') return brokerSetupCommand(argv.slice(1), systemRandom, io)
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout.write(`${helpText(PROGRAM, COMMANDS)}\n${NOTIFY_HELP}\n${ANCHOR_COMMANDS_HELP}\n${PUBLISH_UPDATE_HELP}\n${BROKER_SETUP_HELP}`)
    return 0
  }
  let hub: RunningHub
  try {
    // Every option is checked, alone and against the others, before anything starts.
    const config = Object.freeze({ ...parseConfig(argv, env), notify: parseNotifyConfig(env) })
    hub = await startHub(config)
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr.write(`${PROGRAM}: ${errorText(error)}\n`)
      return 2
    }
    io.stderr.write(`${PROGRAM}: cannot start: ${errorText(error)}\n`)
    return 1
  }
  io.stdout.write(banner(hub))
  for (const warning of publicListenerWarnings(hub.context.config, hub.context.tls !== undefined)) io.stderr.write(`${PROGRAM}: warning: ${warning}\n`)
  if (!hub.operator.created && hub.operator.passwordIgnored) {
    io.stderr.write(`${PROGRAM}: warning: PAYALL_OPERATOR_PASSWORD is not the operator's password and is ignored: it sets the password `
      + `at the first start only; to set a new one, stop the hub and run ${PROGRAM} reset-operator\n`)
  }
  const reason = await io.untilStopRequested()
  io.stdout.write(`${PROGRAM}: ${reason}, stopping…\n`)
  await hub.stop()
  return 0
}

function banner(hub: RunningHub): string {
  const { config, tls } = hub.context
  const lines = [
    `${PROGRAM} ${APP_VERSION} is running`,
    `  HTTP API  ${hub.httpUrl}`,
    `  API docs  ${hub.docsUrl}`,
    `  MQTT      ${hub.mqttUrl}`,
    `  Database  ${hub.context.store.kind === 'sqlite' ? 'SQLite' : 'PostgreSQL'} ${hub.context.store.where}`,
    tls === undefined
      ? '  TLS       off (--tls-cert, --tls-key)'
      : `  TLS       on, certificate SHA-256 ${tls.certificate.fingerprint256} (gateways pin it when provisioned)`,
  ]
  if (isLoopback(config.httpHost) && (config.mqttUrl !== undefined || isLoopback(config.mqttHost))) {
    lines.push(
      '',
      'Listening on this machine only. To serve browsers and gateways on other machines,',
      tls === undefined
        ? '  start with --http-host 0.0.0.0 --mqtt-host 0.0.0.0, with TLS (README, The hub: TLS).'
        : '  start with --http-host 0.0.0.0 --mqtt-host 0.0.0.0.',
    )
  }
  const { operator } = hub
  if (operator.created && operator.generatedPassword !== undefined) {
    lines.push(
      '',
      `First start: created the operator account ${operator.email}`,
      `  password: ${operator.generatedPassword}`,
      '  It is shown only this once: keep it in a password manager.',
    )
  } else if (operator.created) {
    lines.push('', `First start: created the operator account ${operator.email} with PAYALL_OPERATOR_PASSWORD`)
  }
  return `${lines.join('\n')}\n`
}

/**
 * One line per listener open beyond this machine without TLS: passwords, tokens and payloads would
 * cross the network in clear unless the hub serves TLS itself or a TLS proxy stands in front.
 */
function publicListenerWarnings(config: Pick<HubConfig, 'httpHost' | 'mqttHost' | 'mqttUrl'>, tls: boolean): string[] {
  if (tls) return []
  const warnings: string[] = []
  if (!isLoopback(config.httpHost)) {
    warnings.push(`the REST API listens on ${config.httpHost} without TLS: start with --tls-cert and --tls-key, `
      + 'or put a TLS-terminating proxy in front (README, Security)')
  }
  if (config.mqttUrl === undefined && !isLoopback(config.mqttHost)) {
    warnings.push(`the MQTT broker listens on ${config.mqttHost} without TLS: start with --tls-cert and --tls-key, `
      + 'or put a TLS-terminating proxy in front (README, Security)')
  }
  return warnings
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
}

/** Resolves on the first SIGINT or SIGTERM; a second one finds no handler and ends the process at once. */
function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
      resolve(signal)
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
  })
}

if (require.main === module) {
  main(process.argv.slice(2), process.env).then(
    (code) => {
      process.exitCode = code
    },
    (error: unknown) => {
      process.stderr.write(`${PROGRAM}: ${(error as Error).stack ?? String(error)}\n`)
      process.exitCode = 1
    },
  )
}
