// The radio of a fault run: a simulated ChirpStack v4 network server beside the hub (which reads
// it as a deployed hub does), a RAK3172 emulated at the byte level on each gateway the plan names,
// run by the real driver and the terminal's own LoRa reporter, and the radio's faults: uplinks the
// network never hears, garbage the modem writes on its serial line. A report interval passes at
// each payment; a gateway whose IP link is down then reports, as a deployed one does every 15 min.

import { ManualClock, systemClock, type Clock } from '../../protocol/clock'
import { DEFAULT_CONFIG } from '../../terminal/config'
import type { LoraJoinSettings } from '../../hardware/lora/modem'
import { openEmulatedModem, type EmulatedModem } from '../lora/emulated-modem'
import type { JoinAnswer, JoinRequest, LoraRadio, Uplink, UplinkAnswer } from '../lora/radio'
import { SimulatedLoraNetwork } from '../counter/lora-network'
import type { FaultKind } from '../fleet/faults'
import type { InvariantFailure } from '../fleet/invariants'
import type { SeededRandom } from '../fleet/seeded-random'
import type { SimulatedTerminal } from '../fleet/terminal'
import type { HubApi } from '../hub-api'
import type { LoraReply, LoraReportReply } from '../../hub/lora/wire'
import type { LoraReporter } from '../../terminal/lora'
import { garbageText, type RadioPlan, type UplinkFault } from './radio-plan'

/** The report interval of the gateways, which passes at each payment. */
const REPORT_INTERVAL_MS = DEFAULT_CONFIG.loraIntervalMinutes * 60_000
/**
 * The driver's waits, short: the emulator answers at once, and a reply cut short (garbage) costs a
 * run one of them. A deployed RAK3172 takes seconds over the air; the driver's defaults allow that.
 */
const DRIVER_TIMEOUTS = { reply_timeout_ms: 150, join_timeout_ms: 1_000, send_timeout_ms: 300 } as const
/** Reports a gateway sends after the run, at most, until the hub shows one; and how long the hub may take to show one. */
const LAST_REPORTS_MAX = 3
const LAST_REPORT_TIMEOUT_MS = 5_000
const LAST_REPORT_POLL_MS = 50
/** MockBinding's registry is global: each modem of the process gets a path of its own. */
let modemsOpened = 0

export interface LoraGateway {
  readonly modem: EmulatedModem['modem']
  readonly join: LoraJoinSettings
  /** The reporter's clock: the gateway's time, with timers that fire as the run's report intervals pass. */
  readonly clock: Clock
}

/** Passes uplinks to the network server, but those the plan loses. */
class LossyRadio implements LoraRadio {
  /** Gateways (by EUI) whose next uplink is lost, and what to log when it is. */
  readonly losing = new Map<string, () => void>()

  constructor(private readonly network: LoraRadio) {}

  join(request: JoinRequest): JoinAnswer {
    return this.network.join(request)
  }

  uplink(frame: Uplink): UplinkAnswer {
    const lost = this.losing.get(frame.devEui.toUpperCase())
    if (lost === undefined) return this.network.uplink(frame)
    this.losing.delete(frame.devEui.toUpperCase())
    lost()
    return { heard: false, acked: false }
  }
}

export class FaultRadio {
  private network: SimulatedLoraNetwork | undefined
  private radio: LossyRadio | undefined
  private readonly intervals = new ManualClock(0)
  private readonly modems = new Map<number, EmulatedModem & { readonly join: LoraJoinSettings }>()
  /** Per gateway: uplinks it was due to send so far. */
  private readonly uplinks = new Map<number, number>()
  /** What went wrong as the radio's faults played (an untyped error out of the driver). */
  private readonly findings: InvariantFailure[] = []

  constructor(
    private readonly plan: RadioPlan,
    private readonly random: SeededRandom,
    private readonly injected: (kind: FaultKind, detail: string) => void,
  ) {}

  /** Starts the network server; what the hub needs to read it (none when no gateway carries a modem). */
  async start(): Promise<Record<string, string>> {
    if (this.plan.gateways.length === 0) return {}
    const network = await SimulatedLoraNetwork.start(systemClock, length => this.random.bytes(length))
    this.network = network
    this.radio = new LossyRadio(network.server)
    return { PAYALL_LORA_MQTT_URL: network.brokerUrl, PAYALL_LORA_FORMAT: 'chirpstack', PAYALL_LORA_APPLICATION: network.applicationId }
  }

  /**
   * Terminal `index`'s modem, if it carries one: registered at the network server and opened at its
   * first boot, the same across its boots (joined again when it is not, as a booting terminal does).
   */
  async gateway(index: number, eui: string, clock: Clock): Promise<LoraGateway | undefined> {
    if (!this.plan.gateways.includes(index) || this.network === undefined) return undefined
    let emulated = this.modems.get(index)
    if (emulated === undefined) {
      const config = this.network.register(eui)
      const opened = await openEmulatedModem({
        model: 'rak3172', radio: this.radio!, path: `/dev/payall-sim-lora-${++modemsOpened}`, clock: systemClock, driver: DRIVER_TIMEOUTS,
      })
      emulated = { ...opened, join: { region: config.region, devEui: eui, appEui: config.appEui, appKey: config.appKey } }
      this.modems.set(index, emulated)
    }
    if (!emulated.modem.joined) await emulated.modem.join(emulated.join)
    const intervals = this.intervals
    return {
      modem: emulated.modem, join: emulated.join,
      clock: { now_ms: () => clock.now_ms(), setTimer: (callback, delay_ms) => intervals.setTimer(callback, delay_ms) },
    }
  }

  /**
   * A report interval passes: every gateway with a modem whose IP link is down sends its report,
   * meeting the faults the plan puts at that uplink; resolves once each is done.
   */
  async interval(terminals: readonly SimulatedTerminal[]): Promise<void> {
    if (this.network === undefined) return
    const reporting: Array<{ readonly done: () => void }> = []
    for (const index of this.plan.gateways) {
      const terminal = terminals[index]!
      if (!terminal.power.isOn || terminal.sync.online || terminal.lora === undefined) continue
      const n = this.uplinks.get(index) ?? 0
      this.uplinks.set(index, n + 1)
      reporting.push(this.arm(index, terminal, n, this.plan.uplinks.get(`${index}/${n}`) ?? {}))
    }
    await this.intervals.run(REPORT_INTERVAL_MS)
    for (const index of this.plan.gateways) await terminals[index]!.lora?.idle()
    for (const { done } of reporting) done()
  }

  /**
   * Puts an uplink's faults in place and listens to what the terminal says of it; `done` takes away
   * what did not happen (nothing went out) and tells the garbage that did, with what the driver made of it.
   */
  private arm(index: number, terminal: SimulatedTerminal, n: number, fault: UplinkFault): { done: () => void } {
    const { emulator } = this.modems.get(index)!
    const radio = this.radio!
    const eui = terminal.eui
    if (fault.lost === true) radio.losing.set(eui.toUpperCase(), () => this.injected('lora-loss', `${eui}'s uplink ${n}: the network did not hear it`))
    const garbage = fault.garbage
    if (garbage?.kind === 'truncated') emulator.faults.cutNextReply = true
    else if (garbage !== undefined) emulator.faults.garbageBeforeNextReply = garbage.bytes
    const said: string[] = []
    const onError = ({ code, message }: { code: string; message: string }): void => {
      if (code.startsWith('LORA_')) said.push(`${code}: ${message}`)
      // The reporter turns anything but a LoraError into LORA_REPORT_FAILED: the driver let an untyped error out.
      if (code === 'LORA_REPORT_FAILED') this.findings.push({ invariant: 'lora-reports', detail: `${eui}, uplink ${n}: ${message}` })
    }
    const onReport = (): void => {
      said.push('the report went out')
    }
    const { events } = terminal
    events.on('sync-error', onError)
    events.on('lora-report', onReport)
    return {
      done: () => {
        events.off('sync-error', onError)
        events.off('lora-report', onReport)
        radio.losing.delete(eui.toUpperCase())
        const written = garbage !== undefined && !emulator.faults.cutNextReply && emulator.faults.garbageBeforeNextReply === undefined
        emulator.faults.cutNextReply = false
        emulator.faults.garbageBeforeNextReply = undefined
        if (written) this.injected('modem-garbage', `${eui}'s modem, at uplink ${n}: ${garbageText(garbage)}; ${said.join('; ') || 'the terminal said nothing'}`)
      },
    }
  }

  /**
   * After the last sync: each gateway with a modem reports again (up to LAST_REPORTS_MAX times), and
   * the hub must show a report and find it agrees with the records it has (the modem recovered from
   * its garbage); no report may have contradicted the records.
   */
  async check(operator: HubApi, terminals: readonly SimulatedTerminal[]): Promise<InvariantFailure[]> {
    if (this.network === undefined) return []
    const failures: InvariantFailure[] = [...this.findings]
    const fail = (detail: string): void => {
      failures.push({ invariant: 'lora-reports', detail })
    }
    const { items } = await operator.ok('GET', '/gateways?pageSize=100') as { items: Array<{ id: string; eui: string }> }
    for (const index of this.plan.gateways) {
      const terminal = terminals[index]!
      const lora = terminal.lora
      if (lora === undefined) {
        fail(`${terminal.eui} runs without its LoRa modem`)
        continue
      }
      await lora.idle()
      const gatewayId = items.find(item => item.eui === terminal.eui)?.id
      if (gatewayId === undefined) {
        fail(`${terminal.eui} is not among the hub's gateways`)
        continue
      }
      const seq = terminal.store.chainHead().gatewaySeq
      const last = await this.lastReport(terminal, lora, operator, gatewayId)
      if (typeof last === 'string') {
        fail(`${terminal.eui}: the hub did not show any of its last ${LAST_REPORTS_MAX} LoRa reports (chain head ${seq}): ${last}`)
      } else if (last.lastReport.gatewaySeq !== seq || last.lastReport.check !== 'consistent' || last.mismatchCount > 0) {
        fail(`${terminal.eui}: its last LoRa report (chain head ${last.lastReport.gatewaySeq} of ${seq}) is ${last.lastReport.check}`
          + `${last.lastReport.mismatchDetail === null ? '' : ` (${last.lastReport.mismatchDetail})`}; ${last.mismatchCount} reports contradicted its records`)
      }
    }
    return failures
  }

  /**
   * The gateway reports, a report interval after another, until the hub shows one of them (a report
   * is an unconfirmed uplink: the hub's LoRa client, reconnecting after a kill, may miss it as a
   * real one would); the hub's view of it, or what became of the last try.
   */
  private async lastReport(
    terminal: SimulatedTerminal, lora: LoraReporter, operator: HubApi, gatewayId: string,
  ): Promise<(LoraReply & { lastReport: LoraReportReply }) | string> {
    let outcome = ''
    for (let attempt = 1; attempt <= LAST_REPORTS_MAX; attempt++) {
      const before = await this.view(operator, gatewayId)
      const errors: string[] = []
      const onError = ({ code, message }: { code: string; message: string }): void => {
        errors.push(`${code}: ${message}`)
      }
      let sent = false
      const onReport = (): void => {
        sent = true
      }
      terminal.events.on('sync-error', onError)
      terminal.events.on('lora-report', onReport)
      await lora.report()
      terminal.events.off('sync-error', onError)
      terminal.events.off('lora-report', onReport)
      if (sent) {
        const shown = await this.nextReport(operator, gatewayId, before.lastReport)
        if (shown !== undefined) return shown
        outcome = `the last went out and was not shown within ${LAST_REPORT_TIMEOUT_MS} ms`
      } else {
        outcome = `the last did not go out: ${errors.join('; ') || 'no error said why'}`
      }
    }
    return outcome
  }

  private view(operator: HubApi, gatewayId: string): Promise<LoraReply> {
    return operator.ok('GET', `/gateways/${gatewayId}/lora`) as Promise<LoraReply>
  }

  /**
   * The hub's view once it shows a report newer than `before`; undefined if it does not in time. A
   * modem that joined again counts its frames from 0: a new report is one with another counter or time.
   */
  private async nextReport(
    operator: HubApi, gatewayId: string, before: LoraReportReply | null,
  ): Promise<(LoraReply & { lastReport: LoraReportReply }) | undefined> {
    const deadline_ms = systemClock.now_ms() + LAST_REPORT_TIMEOUT_MS
    for (;;) {
      const view = await this.view(operator, gatewayId)
      const last = view.lastReport
      if (last !== null && (before === null || last.fCnt !== before.fCnt || last.receivedAt !== before.receivedAt)) return { ...view, lastReport: last }
      if (systemClock.now_ms() > deadline_ms) return undefined
      await new Promise<void>(resolve => systemClock.setTimer(resolve, LAST_REPORT_POLL_MS))
    }
  }

  async close(): Promise<void> {
    for (const emulated of this.modems.values()) await emulated.close()
    this.modems.clear()
    await this.network?.close()
    this.network = undefined
  }
}
