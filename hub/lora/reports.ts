// Takes gateways' CommitmentFrames from a network server's uplinks: decoded defensively (any bad
// input is a typed LoraPathError, counted, and changes nothing), stored with their radio
// metadata, and checked against the records that came over IP — now, and again whenever more
// records of that gateway arrive. A gateway's LoRa modem uses the gateway's EUI as its DevEUI.

import { errorText, ProtocolError } from '../../protocol/errors'
import { commitmentFrameCodec, type CommitmentFrame } from '../../protocol/messages/commitment-frame'
import type { FastifyBaseLogger } from 'fastify'
import type { Clock } from '../../protocol/clock'
import type { GatewayView } from '../gateways/view'
import { checkFrame, type FrameCheck } from './check'
import { LoraPathError, type LoraPathErrorCode } from './errors'
import type { NetworkServerFormat } from './format'
import type { LoraStore } from './store'

export interface LoraReportsDependencies {
  store: LoraStore
  format: NetworkServerFormat
  uplinkPort: number
  gateway(eui: string): Promise<GatewayView | undefined>
  clock: Clock
  log: FastifyBaseLogger
  /** Told of each report taken: the gateway's receive windows are open for downlinks it may lack. */
  reported?(eui: string): void
}

export type UplinkCounters = { taken: number } & Record<LoraPathErrorCode, number>

export type UplinkOutcome = { readonly taken: true; readonly check: FrameCheck } | { readonly taken: false; readonly error: LoraPathError }

export class LoraReports {
  private readonly listeners = new Set<(outcome: UplinkOutcome) => void>()

  readonly counters: UplinkCounters = {
    taken: 0, BAD_JSON: 0, BAD_UPLINK: 0, FOREIGN_APPLICATION: 0, UNKNOWN_DEVICE: 0, WRONG_PORT: 0, BAD_FRAME: 0,
    OLD_FRAME_COUNTER: 0,
  }

  constructor(private readonly deps: LoraReportsDependencies) {}

  /** Handles one uplink message; never rejects for bad input (only for a failing database). */
  async handle(topic: string, payload: Uint8Array): Promise<UplinkOutcome> {
    let outcome: UplinkOutcome
    try {
      outcome = { taken: true, check: await this.take(topic, payload) }
      this.counters.taken++
    } catch (error) {
      if (!(error instanceof LoraPathError)) throw error
      this.counters[error.code]++
      this.deps.log.warn({ lora: { topic, code: error.code } }, `lora: uplink ignored: ${error.message}`)
      outcome = { taken: false, error }
    }
    for (const listener of this.listeners) listener(outcome)
    return outcome
  }

  /** Calls `listener` with the outcome of every uplink handled from now on, until the returned function is called. */
  subscribe(listener: (outcome: UplinkOutcome) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Resolves with the outcome of the next uplink handled (for tests). */
  next(): Promise<UplinkOutcome> {
    return new Promise(resolve => {
      const unsubscribe = this.subscribe(outcome => {
        unsubscribe()
        resolve(outcome)
      })
    })
  }

  /**
   * Checks the gateway's reports still waiting for records; called once records of it are stored. Never rejects: a
   * check the database failed is logged, and made again when the gateway's next records arrive.
   */
  async recheck(eui: string): Promise<void> {
    try {
      await this.checkPending(eui)
    } catch (error) {
      this.deps.log.warn({ err: error, lora: { eui } }, 'lora: the reports waiting for records were not checked')
    }
  }

  private async checkPending(eui: string): Promise<void> {
    const { store, clock } = this.deps
    const gateway = await this.deps.gateway(eui)
    if (gateway === undefined) return
    const of = { eui, chain: gateway.chain }
    for (const report of await store.pendingReports(of)) {
      const check = checkFrame(report.frame, await store.chainAtHub(of, report.frame))
      if (check.state === 'pending') continue
      // Flagged by the hub whose check changed the report, once.
      if (await store.setCheck(report.id, check, clock.now_ms()) && check.state === 'mismatch') this.flag(eui, report.fCnt, check)
    }
  }

  private async take(topic: string, payload: Uint8Array): Promise<FrameCheck> {
    const { store, format, uplinkPort, clock } = this.deps
    const uplink = format.parseUplink(topic, payload)
    if (uplink.fPort !== uplinkPort) throw new LoraPathError('WRONG_PORT', `fPort ${uplink.fPort}, commitment frames use ${uplinkPort}`)
    const gateway = await this.deps.gateway(uplink.eui)
    if (gateway === undefined || gateway.status !== 'provisioned') {
      throw new LoraPathError('UNKNOWN_DEVICE', `${uplink.eui} is not a provisioned gateway`)
    }
    let frame: CommitmentFrame
    try {
      frame = commitmentFrameCodec.decode(uplink.payload)
    } catch (error) {
      if (error instanceof ProtocolError) throw new LoraPathError('BAD_FRAME', `not a CommitmentFrame: ${errorText(error)}`)
      throw error
    }
    const device = await store.device(uplink.eui)
    // A counter not beyond the last with a later frame time is a new LoRaWAN session (the modem
    // joined again): counters start again at 0, and a session that sent one frame ended at 0 too.
    const oldCounter = () => new LoraPathError('OLD_FRAME_COUNTER', device === undefined
      ? `fCnt ${uplink.fCnt} of ${uplink.eui} was taken meanwhile`
      : `fCnt ${uplink.fCnt} of ${uplink.eui} is not beyond ${device.lastFCnt}`)
    if (device !== undefined && uplink.fCnt <= device.lastFCnt && !(frame.timeS > device.lastFrameTimeS)) throw oldCounter()
    // A report speaks of the chain the gateway's key signs now.
    const check = checkFrame(frame, await store.chainAtHub({ eui: uplink.eui, chain: gateway.chain }, frame))
    // The database takes the counter (store.ts upsertDevice): a copy handled meanwhile, here or by another hub, took it.
    if (await store.addReport(uplink, gateway.chain, frame, check, clock.now_ms()) === undefined) throw oldCounter()
    if (check.state === 'mismatch') this.flag(uplink.eui, uplink.fCnt, check)
    this.deps.reported?.(uplink.eui)
    return check
  }

  private flag(eui: string, fCnt: number, check: Extract<FrameCheck, { state: 'mismatch' }>): void {
    this.deps.log.warn({ lora: { eui, fCnt, mismatch: check.mismatch } }, `lora: ${eui}'s report contradicts its records: ${check.detail}`)
  }
}
