#!/usr/bin/env -S node --optimize-for-size
// payall-terminal: the gateway runtime's command line. init, provision, status, sync and export
// work on the data directory; run is the counter (devices, payment loop, link to the hub, LoRa);
// doctor checks the devices; update installs a signed release (terminal/update/command.ts).

import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { toBase64, toHex } from '../protocol/bytes'
import { formatMoney } from '../protocol/money'
import { reasonName, type Reason } from '../protocol/reasons'
import { DataDirLockError, lockDataDir, type DataDirLock } from '../protocol/data-dir-lock'
import { codedText, errorText, ProtocolError } from '../protocol/errors'
import { hubBaseUrl, hubUrlProblem } from '../protocol/hub-url'
import { nodeEd25519 } from '../protocol/signature/node'
import { pinnedCertificate, type PinnedCertificate } from '../protocol/tls-pin'
import { DEFAULT_CONFIG, loadTerminalConfig } from './config'
import { DAY_MS, systemClock, systemRandom, type Clock, type RandomBytes } from '../protocol/clock'
import { TerminalError } from './errors'
import { TerminalEmitter } from './events'
import { checkDevices, doctorText } from './doctor'
import type { DeviceHost } from './devices'
import { loadHardwareConfig } from './hardware-config'
import { initTerminal } from './init'
import { logEvents, runCounter } from './run'
import { systemHost } from './system-host'
import type { SimulatedLoraNetwork } from '../simulator/counter/lora-network'
import { provision, type Fetch } from './provision'
import { limitsLeft } from './risk'
import type { StoredProof } from './store/proof-store'
import { TerminalStore, type StoredRecord } from './store/store'
import { TerminalSync, type SyncOptions } from './sync'
import { OnlineAsks } from './voids'
import { UPDATE_HELP, updateCommand } from './update/command'
import type { UpdateSystem } from './update/updater'

export const DATA_DIR_DEFAULT = 'payall-terminal-data'
export const HARDWARE_FILE = 'hardware.json'
/** The commands that write the data directory or hold the gateway's MQTT login: one at a time per directory. */
const WRITING_COMMANDS: readonly string[] = ['init', 'provision', 'sync', 'run']
const SYNC_CONNECT_TIMEOUT_MS_DEFAULT = 15_000
/** Records read per page when exporting: memory stays flat whatever the chain's length. */
const EXPORT_PAGE_RECORDS = 1_000

export const HELP = `payall-terminal — the PayAll gateway runtime (offline payment terminal)

Usage: payall-terminal <command> [options]

Example: payall-terminal init --data-dir ./gw --eui 70B3D57ED0001A2B
         payall-terminal provision --data-dir ./gw --hub localhost:3001 --token <provisioning token>
         payall-terminal run --simulate --data-dir ./gw

Commands, in the order a gateway meets them:
  init [--eui EUI]                    create the data directory, the gateway's Ed25519 key
                                      (file mode 0600) and its database; --eui is the EUI the
                                      operator created the gateway with (without it a locally
                                      administered EUI-64 is generated)
  provision --hub URL --token TOKEN   register with a hub (http:// assumed without a scheme)
                                      with the one-time provisioning token the operator
                                      issued: pin its key, store the MQTT settings and the
                                      signed RiskConfig; a hub serving TLS (https://) has
                                      its certificate pinned too, and from then on only that
                                      certificate is accepted, from its API and its broker
    [--hub-cert FILE]                 the hub's certificate (PEM) to trust for this call: a
                                      self-signed hub's, or the new one once it was replaced
  doctor [--hardware FILE] [--json]   open each configured device and say what answered
                                      (PN532 firmware, modem version, BLE state, printer
                                      paper); exit 1 if one is missing
  run [--config FILE] [--hardware FILE]
                                      the counter: opens the devices of the hardware file,
                                      keeps the link to the hub, takes payments keyed on the
                                      keypad (Enter on an empty amount: the menu, to refund a
                                      payment, print the day report or set the next payment's
                                      mode), joins LoRa and sends commitment frames while IP
                                      is down, until stopped (Ctrl-C stops at once, cancelling
                                      a payment that waits for its tap)
  run --simulate [--config FILE]      the same with emulated devices (PN532 with a virtual
                                      phone, ESC/POS printer) and the console as keypad and
                                      display: t taps the phone, x cuts or restores the
                                      network; the phone's voucher comes from
                                      the hub with PAYALL_OPERATOR_EMAIL/PASSWORD
  run --link-only [--config FILE]     keep the link to the hub without a counter
  status [--json]                     link as last seen, unsynced count and amount, limits
                                      left, time left before the upload deadline, last sync
                                      and last ack, anchoring proofs kept and awaited,
                                      records pruned
  sync [--timeout-ms N]               connect, upload every unacked record, apply the acks,
                                      config, revocations and anchoring proofs received,
                                      report, disconnect (not while run is running: one
                                      process at a time holds a data directory)
  export [--from-seq N]               records as JSON lines, for audits, each with its
                                      anchoring proof once kept. Pruned records are not
                                      there: a record acked by the hub and proved anchored,
                                      or rejected by it, is deleted, with its proof, once
                                      older than recordRetentionDays (config, default ${DEFAULT_CONFIG.recordRetentionDays};
                                      0: at once), so storage stays bounded. Its proof stays available
                                      from the hub: GET /transactions/{id}/proof
${UPDATE_HELP}
The hardware file (JSON) names a driver and a port for each device (the README's "The hardware
file" shows one). It is --hardware FILE, else $PAYALL_TERMINAL_HARDWARE, else hardware.json in the
data directory.

Options:
  --data-dir DIR   the gateway's data directory (default: $PAYALL_TERMINAL_DATA or ./${DATA_DIR_DEFAULT})
  -h, --help       show this help
`

export interface CliIo {
  out(text: string): void
  err(text: string): void
  env: Record<string, string | undefined>
  clock: Clock
  random: RandomBytes
  fetch: Fetch
  /** Resolves when the process is asked to stop (run). */
  stopSignal(): Promise<void>
  /** Sync tuning for tests (reconnect delays, a broker address override). */
  syncOptions?: Partial<SyncOptions>
  /** Where devices come from; the machine's own unless a test brings emulators. */
  deviceHost?(): DeviceHost
  /** The console of the simulated counter (keys in, screens out); the process's own by default. */
  console?: { input: DeviceHost['input']; output: NodeJS.WritableStream }
  /** run --simulate: a simulated LoRaWAN network for its emulated modem to join (payall-sim counter --lora). */
  loraNetwork?: SimulatedLoraNetwork
  /** run: the LoRa reporter's clock, for a test to move the report interval by hand; `clock` by default. */
  loraClock?: Clock
  /** update: the machine's side (npm, systemd); deploy/pi's by default. */
  updateSystem?: UpdateSystem
}

type Options = Record<string, string | boolean | undefined>

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv
  if (command === undefined || command === '--help' || command === '-h' || rest.includes('--help') || rest.includes('-h')) {
    io.out(HELP)
    return 0
  }
  if (command === 'update') return updateCommand(rest, io.env.PAYALL_TERMINAL_DATA ?? DATA_DIR_DEFAULT, io)
  let options: Options
  try {
    options = parseArgs({
      args: rest,
      strict: true,
      options: {
        'data-dir': { type: 'string' }, eui: { type: 'string' }, hub: { type: 'string' }, token: { type: 'string' }, 'hub-cert': { type: 'string' },
        json: { type: 'boolean' }, 'timeout-ms': { type: 'string' }, 'from-seq': { type: 'string' },
        config: { type: 'string' }, simulate: { type: 'boolean' }, hardware: { type: 'string' }, 'link-only': { type: 'boolean' },
      },
    }).values
  } catch (error) {
    io.err(`payall-terminal: ${(error as Error).message} (see --help)\n`)
    return 2
  }
  const dataDir = (options['data-dir'] as string | undefined) ?? io.env.PAYALL_TERMINAL_DATA ?? DATA_DIR_DEFAULT
  let lock: DataDirLock | undefined
  try {
    // Two of these on one gateway would share its chain and its MQTT login (each cutting the other off).
    // A folder that is not there yet is made by init alone: a typo elsewhere leaves nothing behind.
    if (WRITING_COMMANDS.includes(command) && (command === 'init' || existsSync(dataDir))) lock = lockDataDir(dataDir)
    switch (command) {
      case 'init': return init(dataDir, options, io)
      case 'provision': return await provisionCommand(dataDir, options, io)
      case 'status': return status(dataDir, options, io)
      case 'sync': return await syncCommand(dataDir, options, io)
      case 'export': return exportCommand(dataDir, options, io)
      case 'run': return await run(dataDir, options, io)
      case 'doctor': return await doctor(dataDir, options, io)
      default:
        io.err(`payall-terminal: unknown command "${command}" (see --help)\n`)
        return 2
    }
  } catch (error) {
    if (error instanceof TerminalError || error instanceof ProtocolError || error instanceof DataDirLockError) {
      io.err(`payall-terminal ${command}: ${errorText(error)}\n`)
      return 1
    }
    throw error
  } finally {
    lock?.release()
  }
}

function init(dataDir: string, options: Options, io: CliIo): number {
  const store = initTerminal(dataDir, options.eui as string | undefined, io)
  try {
    const { eui, publicKey } = store.identity()
    io.out(`initialized gateway ${eui} in ${dataDir}\npublic key ${toBase64(publicKey)}\n`)
    return 0
  } finally {
    store.close()
  }
}

async function provisionCommand(dataDir: string, options: Options, io: CliIo): Promise<number> {
  const hubText = options.hub as string | undefined
  const token = options.token as string | undefined
  if (hubText === undefined || token === undefined) throw new TerminalError('BAD_ARGUMENT', 'provision needs --hub URL and --token <provisioning token>')
  const hub = hubBaseUrl(hubText)
  if (hub === undefined) throw new TerminalError('BAD_ARGUMENT', `--hub ${hubUrlProblem(hubText)}`)
  const certificateFile = options['hub-cert'] as string | undefined
  const hubCertificate = certificateFile === undefined ? undefined : readCertificate(certificateFile)
  const store = TerminalStore.open(dataDir)
  try {
    const result = await provision(store, hub, token, {
      fetch: io.fetch, clock: io.clock, ed25519: nodeEd25519, ...(hubCertificate === undefined ? {} : { hubCertificate }),
    })
    io.out(`provisioned ${store.identity().eui} as gateway ${result.gatewayId}\n`
      + `hub key pinned: ${toHex(store.requireHubPin().publicKey)}\n`
      + (result.certificate === undefined ? '' : `hub certificate pinned: SHA-256 ${result.certificate.fingerprint256}\n`)
      + `mqtt: ${result.mqttUrl}\nrisk config serial ${result.riskConfigSerial}\n`)
    return 0
  } finally {
    store.close()
  }
}

/** The first certificate of a PEM file (--hub-cert); BAD_ARGUMENT naming the file when it holds none. */
function readCertificate(file: string): PinnedCertificate {
  try {
    return pinnedCertificate(readFileSync(file, 'utf8'))
  } catch (error) {
    throw new TerminalError('BAD_ARGUMENT', `--hub-cert ${file}: ${errorText(error)}`, { cause: error })
  }
}

function when(ms: number | null): string {
  return ms === null ? 'never' : new Date(ms).toISOString()
}

function duration(ms: number): string {
  const minutes = Math.floor(ms / 60_000)
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`
}

function status(dataDir: string, options: Options, io: CliIo): number {
  const store = TerminalStore.open(dataDir)
  try {
    const facts = readStatus(store, io.clock.now_ms())
    if (options.json === true) io.out(JSON.stringify(statusReport(facts)) + '\n')
    else io.out(statusLines(facts).join('\n') + '\n')
    return 0
  } finally {
    store.close()
  }
}

type StatusFacts = ReturnType<typeof readStatus>

function readStatus(store: TerminalStore, now_ms: number) {
  const { eui } = store.identity()
  const config = store.riskConfig()
  const exposure = config === undefined ? undefined : store.exposure(config.currency)
  return {
    eui,
    pin: store.hubPin(),
    config,
    left: config === undefined || exposure === undefined ? undefined : limitsLeft(config, exposure, now_ms),
    revocations: store.revocations.state(),
    sync: store.syncState(),
    pending: store.pendingTotals(),
    proofs: store.proofs.counts(),
    chainHeadSeq: store.chainHead().gatewaySeq,
    voidsPending: new OnlineAsks(store, nodeEd25519).pendingVoids(),
  }
}

/** The status as `--json` prints it. */
function statusReport({ eui, pin, config, left, revocations, sync, pending, proofs, chainHeadSeq, voidsPending }: StatusFacts) {
  return {
    eui,
    provisioned: pin !== undefined,
    hubUrl: pin?.url ?? null,
    hubCertificateSha256: pin?.certificate === undefined ? null : pinnedCertificate(pin.certificate).fingerprint256,
    link: sync.link,
    linkChangedAt: sync.linkChangedAtMs === null ? null : when(sync.linkChangedAtMs),
    chainHeadSeq,
    unsynced: pending.map(line => ({ ...line, total: formatMoney(line.totalMinor, line.currency) })),
    // Online requests given up on (no answer, no record), whose void the hub has not answered yet.
    voidsPending: voidsPending.map(ask => ({
      transferId: toHex(ask.transferId), amountMinor: ask.amountMinor, currency: ask.currency, askedAt: when(ask.askedAtMs),
    })),
    limits: config === undefined ? null : {
      currency: config.currency,
      floorLimitMinor: config.floorLimitMinor,
      unsyncedTotalMaxMinor: config.unsyncedTotalMaxMinor,
      unsyncedCountMax: config.unsyncedCountMax,
      consecutiveOfflineMax: config.consecutiveOfflineMax,
      uploadDeadlineMs: config.uploadDeadlineMs,
      ...left,
    },
    riskConfigSerial: config?.serial ?? null,
    revocationsSerial: revocations.serial === 0 ? null : revocations.serial,
    revokedVouchers: revocations.revoked,
    lastSync: sync.lastSyncAtMs === null ? null : when(sync.lastSyncAtMs),
    lastAck: sync.lastAckAtMs === null ? null : when(sync.lastAckAtMs),
    lastError: sync.lastError,
    proofs: {
      kept: proofs.proofsKept,
      awaited: proofs.proofsAwaited,
      recordsPruned: proofs.recordsPruned,
      prunedThroughSeq: proofs.prunedThroughSeq,
      lastPrunedAt: proofs.lastPrunedAtMs === null ? null : when(proofs.lastPrunedAtMs),
    },
  }
}

function statusLines({ eui, pin, config, left, sync, pending, proofs, chainHeadSeq, revocations, voidsPending }: StatusFacts): string[] {
  const lines = [
    `gateway    ${eui}${pin === undefined ? ' (not provisioned)' : ` at ${pin.url}`}`,
    ...(pin?.certificate === undefined ? [] : [`hub cert   SHA-256 ${pinnedCertificate(pin.certificate).fingerprint256} (pinned)`]),
    `link       ${sync.link}${sync.linkChangedAtMs === null ? '' : ` since ${when(sync.linkChangedAtMs)}`} (as last seen by this terminal)`,
    `chain      head #${chainHeadSeq}`,
    `unsynced   ${pending.length === 0 ? 'nothing' : pending.map(l => `${l.count} ${l.mode} (${formatMoney(l.totalMinor, l.currency)})`).join(', ')}`,
    ...(voidsPending.length === 0 ? [] : [`voids      ${voidsPending.length} unanswered online ${voidsPending.length === 1 ? 'request' : 'requests'} to void at the hub `
      + `(${voidsPending.map(ask => formatMoney(ask.amountMinor, ask.currency)).join(', ')}): sent at the next link-up`]),
  ]
  if (config !== undefined && left !== undefined) {
    lines.push(
      `limits     floor ${formatMoney(config.floorLimitMinor, config.currency)}; unsynced total left ${formatMoney(left.unsyncedTotalLeftMinor, config.currency)}`
        + ` of ${formatMoney(config.unsyncedTotalMaxMinor, config.currency)}; count left ${left.unsyncedCountLeft} of ${config.unsyncedCountMax};`
        + ` ${config.consecutiveOfflineMax} offline in a row per voucher`,
      `deadline   ${left.uploadDeadlineLeftMs === null ? 'no offline record waiting' : `${duration(left.uploadDeadlineLeftMs)} left to sync`}`,
      `config     risk serial ${config.serial}; revocations serial ${revocations.serial === 0 ? 'none' : revocations.serial} (${revocations.revoked} vouchers)`,
    )
  }
  lines.push(
    `last sync  ${when(sync.lastSyncAtMs)}${sync.lastError === null ? '' : ` (${sync.lastError})`}`,
    `last ack   ${when(sync.lastAckAtMs)}`,
    `proofs     ${proofs.proofsKept} kept, ${proofs.proofsAwaited} awaited; ${proofs.recordsPruned} records pruned`
      + (proofs.recordsPruned === 0 ? '' : ` (up to #${proofs.prunedThroughSeq}, last ${when(proofs.lastPrunedAtMs)})`),
  )
  return lines
}

function startSync(
  store: TerminalStore, io: CliIo, events: TerminalEmitter, autoSync: boolean,
  recordRetention_ms: number = DEFAULT_CONFIG.recordRetentionDays * DAY_MS,
): TerminalSync {
  const sync = new TerminalSync({
    store, events, clock: io.clock, random: io.random, ed25519: nodeEd25519, autoSync, recordRetentionMs: recordRetention_ms, ...io.syncOptions,
  })
  sync.start()
  return sync
}

async function syncCommand(dataDir: string, options: Options, io: CliIo): Promise<number> {
  const timeout_ms = positiveInteger(options['timeout-ms'], '--timeout-ms') ?? SYNC_CONNECT_TIMEOUT_MS_DEFAULT
  const store = TerminalStore.open(dataDir)
  const events = new TerminalEmitter()
  const heard: string[] = []
  let lastError: { code: string; message: string } | undefined
  events.on('sync-error', error => (lastError = error))
  events.on('risk-config', ({ serial }) => heard.push(`risk config serial ${serial} applied`))
  events.on('revocations', ({ serial, count }) => heard.push(`revocations at serial ${serial} (${count} vouchers refused)`))
  events.on('proofs-kept', ({ batchId, stored }) => heard.push(`anchoring proofs of batch ${batchId} kept (${stored} new)`))
  try {
    const sync = startSync(store, io, events, false)
    try {
      if (!(await sync.waitOnline(timeout_ms))) {
        const why = lastError === undefined ? '' : ` (${codedText(lastError.code, lastError.message)})`
        io.err(`payall-terminal sync: the broker at ${store.mqttSettings()?.url} was not reachable within ${timeout_ms} ms${why}; records stay stored\n`)
        return 1
      }
      const report = await sync.syncNow()
      // Online requests the counter gave up on, not yet voided at the hub, go now too.
      await sync.sendVoids()
      // The proofs of records anchored since the last sync come now, not at the next run's periodic request.
      const proofsAsked = await sync.proofsNow(timeout_ms)
      io.out([
        `uploaded   ${report.recordsSent} records in ${report.batches} batches`,
        `acks       settled ${report.settled}, duplicate ${report.duplicate}, rejected ${report.rejected}, flagged ${report.flagged}`,
        `unsynced   ${report.pendingLeft} left`,
        ...(sync.pendingVoidCount() === 0 ? [] : [`voids      ${sync.pendingVoidCount()} unanswered online requests not voided yet`]),
        `proofs     asked for ${proofsAsked}`,
        ...heard,
        ...(report.error === null ? [] : [`error      ${codedText(report.error.code, report.error.message)}`]),
      ].join('\n') + '\n')
      return report.error === null ? 0 : 1
    } finally {
      await sync.stop()
    }
  } finally {
    store.close()
  }
}

export function exportLine(record: StoredRecord, proof?: StoredProof): string {
  return JSON.stringify({
    gatewaySeq: record.gatewaySeq,
    transferId: toHex(record.transferId),
    voucherId: toHex(record.voucherId),
    voucherSeq: record.voucherSeq,
    amountMinor: record.amountMinor,
    amount: formatMoney(record.amountMinor, record.currency),
    currency: record.currency,
    mode: record.mode,
    time: new Date(record.timeMs).toISOString(),
    status: record.status,
    ackOutcome: record.ackOutcome,
    ackReason: record.ackReason === null ? null : reasonName(record.ackReason as Reason),
    ackedAt: record.ackedAtMs === null ? null : new Date(record.ackedAtMs).toISOString(),
    previousHash: toHex(record.previousHash),
    recordHash: toHex(record.recordHash),
    record: toBase64(record.record),
    anchor: proof === undefined ? null : {
      batchId: proof.batchId,
      root: `0x${toHex(proof.root)}`,
      leafIndex: proof.leafIndex,
      leafCount: proof.leafCount,
      proof: proof.proof.map(node => `0x${toHex(node)}`),
      chainId: proof.chainId,
      contract: `0x${toHex(proof.contractAddress)}`,
      txHash: proof.txHash === null ? null : `0x${toHex(proof.txHash)}`,
      blockNumber: proof.blockNumber,
    },
  })
}

function exportCommand(dataDir: string, options: Options, io: CliIo): number {
  let fromSeq = positiveInteger(options['from-seq'], '--from-seq') ?? 1
  const store = TerminalStore.open(dataDir)
  try {
    const lastSeq = store.chainHead().gatewaySeq
    // One page per pass, at most lastSeq / EXPORT_PAGE_RECORDS + 1 passes.
    while (fromSeq <= lastSeq) {
      const page = store.recordsFrom(fromSeq, EXPORT_PAGE_RECORDS)
      if (page.length === 0) break
      io.out(page.map(record => exportLine(record, record.prunable ? store.proofs.proofOf(record.transferId) : undefined)).join('\n') + '\n')
      fromSeq = page[page.length - 1]!.gatewaySeq + 1
    }
    return 0
  } finally {
    store.close()
  }
}

/** The hardware file: --hardware, else $PAYALL_TERMINAL_HARDWARE, else hardware.json in the data directory. */
function hardwareFile(dataDir: string, options: Options, io: CliIo): string | undefined {
  const given = (options.hardware as string | undefined) ?? io.env.PAYALL_TERMINAL_HARDWARE
  if (given !== undefined) return given
  const inDataDir = join(dataDir, HARDWARE_FILE)
  return existsSync(inDataDir) ? inDataDir : undefined
}

async function doctor(dataDir: string, options: Options, io: CliIo): Promise<number> {
  const file = hardwareFile(dataDir, options, io)
  if (file === undefined) {
    io.err(`payall-terminal doctor: no hardware file (--hardware FILE, $PAYALL_TERMINAL_HARDWARE or ${join(dataDir, HARDWARE_FILE)})\n`)
    return 1
  }
  const checks = await checkDevices(loadHardwareConfig(file), io.deviceHost?.() ?? systemHost(io.clock), io.clock)
  if (options.json === true) io.out(JSON.stringify({ ok: checks.every(check => check.ok), devices: checks }) + '\n')
  else io.out(doctorText(checks))
  return checks.every(check => check.ok) ? 0 : 1
}

async function run(dataDir: string, options: Options, io: CliIo): Promise<number> {
  const config = typeof options.config === 'string' ? loadTerminalConfig(options.config) : DEFAULT_CONFIG
  if (options.simulate === true && options['link-only'] === true) throw new TerminalError('BAD_ARGUMENT', '--simulate and --link-only do not go together')
  const file = options.simulate === true || options['link-only'] === true ? undefined : hardwareFile(dataDir, options, io)
  const hardware = file === undefined ? undefined : loadHardwareConfig(file)
  if (hardware === undefined && options.simulate !== true && options['link-only'] !== true) {
    throw new TerminalError('DEVICE_MISSING', `no hardware file (--hardware FILE, $PAYALL_TERMINAL_HARDWARE or ${join(dataDir, HARDWARE_FILE)}): `
      + 'name the reader, keypad, display and printer, or use --simulate for emulated devices, or --link-only to sync without a counter')
  }
  const store = TerminalStore.open(dataDir)
  try {
    if (options['link-only'] === true) {
      const events = new TerminalEmitter()
      logEvents(events, io)
      const sync = startSync(store, io, events, true, config.recordRetentionDays * DAY_MS)
      io.out(`payall-terminal ${store.identity().eui}: keeping the link to the hub (no counter)\n`)
      await io.stopSignal()
      await sync.stop()
      return 0
    }
    if (options.simulate === true) {
      const simulatedCounter = loadSimulator()
      const simulated = await simulatedCounter(store, {
        input: io.console?.input ?? process.stdin, output: io.console?.output ?? process.stdout, env: io.env, random: io.random,
        ...(io.loraNetwork !== undefined && { lora: io.loraNetwork }),
      })
      // Reconnect delays a test sets win over the simulator's; the link goes through its relay.
      const syncOptions = { ...simulated.syncOptions, ...io.syncOptions, ...(simulated.syncOptions.connect !== undefined && { connect: simulated.syncOptions.connect }) }
      return await runCounter(store, config, simulated.hardware, simulated.host, { ...io, syncOptions }, simulated.decorations)
    }
    return await runCounter(store, config, hardware!, io.deviceHost?.() ?? systemHost(io.clock), io)
  } finally {
    store.close()
  }
}

/**
 * The simulator, loaded only for --simulate: it needs the development dependencies (mock-firmata),
 * which a production install (npm ci --omit=dev) leaves out, and nothing else in the terminal does.
 */
function loadSimulator(): typeof import('../simulator/counter/session').simulatedCounter {
  try {
    const { simulatedCounter } = require('../simulator/counter/session') as typeof import('../simulator/counter/session')
    return simulatedCounter
  } catch (error) {
    const code = (error as { code?: unknown }).code
    if (code !== 'MODULE_NOT_FOUND') throw error
    throw new TerminalError('SIMULATOR_MISSING', `run --simulate needs the simulator's development dependencies, which this install `
      + `leaves out (${(error as Error).message.split('\n')[0]}): install with npm ci, without --omit=dev, or run on the devices of a hardware file`, { cause: error })
  }
}

function positiveInteger(value: string | boolean | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined
  const number = Number(value)
  if (typeof value !== 'string' || !/^\d+$/.test(value) || !Number.isSafeInteger(number) || number < 1) {
    throw new TerminalError('BAD_ARGUMENT', `${flag} must be a positive whole number`)
  }
  return number
}

/** The io of the process itself: its stdout and stderr, environment, clock, randomness, SIGINT/SIGTERM. */
export function processCliIo(): CliIo {
  return {
    out: text => process.stdout.write(text),
    err: text => process.stderr.write(text),
    env: process.env,
    clock: systemClock,
    random: systemRandom,
    fetch: (url, init) => fetch(url, init),
    stopSignal: untilStopRequested(),
  }
}

let stopRequested: Promise<void> | undefined

/**
 * Listens for SIGINT and SIGTERM from the first call on, so a Ctrl-C while the program is still
 * starting is kept for when it can stop, not left to kill it with its temporary folders.
 */
function untilStopRequested(): () => Promise<void> {
  stopRequested ??= new Promise(resolve => {
    const onSignal = (): void => {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
      // A second Ctrl-C while stopping quits at once; the 'exit' handlers (a temporary folder's removal) still run.
      process.once('SIGINT', exitAtOnce)
      process.once('SIGTERM', exitAtOnce)
      resolve()
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
  })
  const requested = stopRequested
  return () => requested
}

function exitAtOnce(): void {
  process.stderr.write('stopped at once, on a second signal\n')
  process.exit(130)
}

if (require.main === module) {
  const io = processCliIo()
  main(process.argv.slice(2), io).then(code => {
    process.exitCode = code
  }, error => {
    process.stderr.write(`payall-terminal: ${(error as Error).stack ?? String(error)}\n`)
    process.exitCode = 1
  })
}
