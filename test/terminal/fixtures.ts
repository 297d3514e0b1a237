// A terminal world without a hub process: a hub key that signs vouchers, configs and revocation
// lists, a provisioned terminal store in a temporary directory, phones with vouchers, a manual
// clock and recording devices.

import { randomBytes } from 'node:crypto'
import { canonicalVoucherIds, revocationListCodec } from '../../protocol/messages/revocation-list'
import { revocationDeltaCodec } from '../../protocol/messages/revocation-delta'
import { OnlinePolicy, riskConfigCodec, type RiskConfig, type RiskConfigBody } from '../../protocol/messages/risk-config'
import { voucherCodec, type Voucher } from '../../protocol/messages/voucher'
import type { KeyPair } from '../../protocol/signature/ed25519'
import { nodeEd25519 } from '../../protocol/signature/node'
import { gatewayTopic, REVOCATIONS_TOPIC } from '../../protocol/topics'
import { VirtualPhone } from '../../simulator/phone'
import { DAY_MS, HOUR_MS, ManualClock } from '../../protocol/clock'
import { TerminalEmitter } from '../../terminal/events'
import type { Display, OnlineAnswer, OnlineAuthorizer, PhoneLink, Printer, Screen } from '../../terminal/payment'
import { PaymentTerminal, type PaymentTerminalOptions } from '../../terminal/payment'
import { paymentRequestCodec } from '../../protocol/messages/payment-request'
import { paymentResponseCodec } from '../../protocol/messages/payment-response'
import type { Authorization } from '../../protocol/messages/authorization'
import { TerminalStore } from '../../terminal/store/store'

export const EUI = '70B3D57ED00000A1'
export const CURRENCY = 'XOF'
export const T0 = Date.UTC(2025, 5, 1, 9, 0, 0)

export const keysOf = (seed: number): KeyPair => nodeEd25519.keyPairFromSeed(new Uint8Array(32).fill(seed))
export const HUB = keysOf(7)
export const OTHER_HUB = keysOf(8)

export function limits(overrides: Partial<RiskConfigBody> = {}): RiskConfigBody {
  return {
    gatewayEui: EUI, serial: 1, issuedAtMs: T0, currency: CURRENCY,
    floorLimitMinor: 50_000, unsyncedTotalMaxMinor: 200_000, unsyncedCountMax: 20, consecutiveOfflineMax: 5,
    uploadDeadlineMs: DAY_MS, clockSkewMaxMs: 5 * 60_000, defaultPolicy: OnlinePolicy.PreferOnline,
    ...overrides,
  }
}

export function signedConfig(overrides: Partial<RiskConfigBody> = {}, hub: KeyPair = HUB): RiskConfig {
  return riskConfigCodec.sign(limits(overrides), hub.secretKey, nodeEd25519)
}

/** A whole revocation list of one part. */
export function signedRevocations(serial: number, ids: Uint8Array[], hub: KeyPair = HUB) {
  return revocationListCodec.sign({ serial, issuedAtMs: T0, part: 0, parts: 1, voucherIds: canonicalVoucherIds(ids) }, hub.secretKey, nodeEd25519)
}

/** A revocation delta: serial `serial` on top of `serial - 1`. */
export function signedDelta(serial: number, added: Uint8Array[], removed: Uint8Array[] = [], hub: KeyPair = HUB) {
  return revocationDeltaCodec.sign({
    serial, follows: serial - 1, issuedAtMs: T0, added: canonicalVoucherIds(added), removed: canonicalVoucherIds(removed),
  }, hub.secretKey, nodeEd25519)
}

/** A voucher the hub signs for a phone key. */
export function issueVoucher(device: KeyPair, overrides: Partial<Omit<Voucher, 'signature'>> = {}, hub: KeyPair = HUB): Voucher {
  return voucherCodec.sign({
    voucherId: new Uint8Array(randomBytes(16)), accountRef: new Uint8Array(16).fill(1), devicePublicKey: device.publicKey, currency: CURRENCY,
    limitMinor: 100_000, issuedAtMs: T0 - HOUR_MS, expiresAtMs: T0 + 7 * DAY_MS, ...overrides,
  }, hub.secretKey, nodeEd25519)
}

export function phoneWithVoucher(overrides: Partial<Omit<Voucher, 'signature'>> = {}, hub: KeyPair = HUB): { phone: VirtualPhone; voucher: Voucher } {
  const keys = nodeEd25519.keyPairFromSeed(randomBytes(32))
  const phone = new VirtualPhone(keys, nodeEd25519)
  const voucher = issueVoucher(keys, overrides, hub)
  phone.addVoucher(voucher)
  return { phone, voucher }
}

/** A store initialized and provisioned against HUB, without a network. */
export function provisionedStore(dir: string, config: RiskConfig = signedConfig(), eui = EUI): TerminalStore {
  const store = TerminalStore.init(dir, eui, randomBytes(32), T0)
  store.saveProvisioning(
    { url: 'http://hub.invalid', gatewayId: 'gw-1', publicKey: HUB.publicKey, provisionedAtMs: T0 },
    {
      url: 'mqtt://127.0.0.1:1',
      topics: {
        records: gatewayTopic(eui, 'records'), acks: gatewayTopic(eui, 'acks'), config: gatewayTopic(eui, 'config'),
        revocations: REVOCATIONS_TOPIC, onlineRequest: gatewayTopic(eui, 'online/request'),
        onlineResponse: gatewayTopic(eui, 'online/response'),
      },
    },
    config,
    T0,
  )
  return store
}

/** A phone link backed by a VirtualPhone, with a hook to tamper with the answer. */
export function phoneLink(phone: VirtualPhone, tamper?: (response: ReturnType<VirtualPhone['authorize']>) => ReturnType<VirtualPhone['authorize']>): PhoneLink {
  return {
    async exchange(request) {
      const answer = phone.authorize(paymentRequestCodec.decode(request))
      return paymentResponseCodec.encode(tamper === undefined ? answer : tamper(answer))
    },
  }
}

export class RecordingDisplay implements Display {
  readonly screens: Screen[] = []
  show(screen: Screen): void {
    this.screens.push(screen)
  }
  get last(): Screen | undefined {
    return this.screens[this.screens.length - 1]
  }
}

export class RecordingPrinter implements Printer {
  readonly printed: string[] = []
  async print(text: string): Promise<void> {
    this.printed.push(text)
  }
}

/** An authorizer with a fixed link state and answer. */
export class FixedAuthorizer implements OnlineAuthorizer {
  readonly asked: Authorization[] = []
  constructor(public online: boolean, public answer: OnlineAnswer | 'unreachable' = { approved: true, reason: 0 }) {}
  async authorize(authorization: Authorization): Promise<OnlineAnswer | 'unreachable'> {
    this.asked.push(authorization)
    return this.answer
  }
}

export function counterTerminal(store: TerminalStore, phone: PhoneLink, overrides: Partial<PaymentTerminalOptions> = {}) {
  const display = new RecordingDisplay()
  const printer = new RecordingPrinter()
  const events = new TerminalEmitter()
  const clock = overrides.clock ?? new ManualClock(T0)
  const online = overrides.online ?? new FixedAuthorizer(false)
  const terminal = new PaymentTerminal({
    store, phone, display, printer, online, events, clock, random: n => new Uint8Array(randomBytes(n)), ed25519: nodeEd25519,
    language: 'en', merchantName: 'Boutique Awa', ...overrides,
  })
  return { terminal, display, printer, events, online }
}
