// A provisioned gateway without a hub process, for the gateway benches that need only the terminal:
// a hub key that signs the RiskConfig and the vouchers, the terminal's store in `dataDir`, a phone
// with a voucher, and the real payment flow over whatever phone link the bench hands it.

import { systemClock, DAY_MS, type Clock } from '../protocol/clock'
import { OnlinePolicy, riskConfigCodec } from '../protocol/messages/risk-config'
import { voucherCodec } from '../protocol/messages/voucher'
import { nodeEd25519 } from '../protocol/signature/node'
import { gatewayTopic, REVOCATIONS_TOPIC } from '../protocol/topics'
import { TerminalEmitter } from '../terminal/events'
import { PaymentTerminal, type OnlineAuthorizer, type PhoneLink } from '../terminal/payment'
import { TerminalStore } from '../terminal/store/store'
import { LastScreen, NO_PRINTER } from '../simulator/fleet/terminal'
import { SeededRandom } from '../simulator/fleet/seeded-random'
import { VirtualPhone } from '../simulator/phone'

const EUI = '70B3D57ED0B3C001'
const CURRENCY = 'XOF'
/** Wide limits: every payment a bench makes is taken offline and kept unsynced. */
const PAYMENTS_MAX = 60_000
const AMOUNT_MAX_MINOR = 10_000

const OFFLINE: OnlineAuthorizer = { online: false, authorize: async () => 'unreachable' }

export interface StandaloneGateway {
  readonly store: TerminalStore
  readonly phone: VirtualPhone
  readonly payments: PaymentTerminal
  readonly events: TerminalEmitter
}

export function standaloneGateway(dataDir: string, phoneLink: PhoneLink, seed: string, clock: Clock = systemClock): StandaloneGateway {
  const random = new SeededRandom(seed)
  const hub = nodeEd25519.keyPairFromSeed(random.bytes(32))
  const now_ms = clock.now_ms()
  const store = TerminalStore.init(dataDir, EUI, random.bytes(32), now_ms)
  const config = riskConfigCodec.sign({
    gatewayEui: EUI, serial: 1, issuedAtMs: now_ms, currency: CURRENCY, floorLimitMinor: AMOUNT_MAX_MINOR,
    unsyncedTotalMaxMinor: PAYMENTS_MAX * AMOUNT_MAX_MINOR, unsyncedCountMax: PAYMENTS_MAX, consecutiveOfflineMax: PAYMENTS_MAX,
    uploadDeadlineMs: 30 * DAY_MS, clockSkewMaxMs: 5 * 60_000, defaultPolicy: OnlinePolicy.ForceOffline,
  }, hub.secretKey, nodeEd25519)
  store.saveProvisioning(
    { url: 'http://hub.invalid', gatewayId: 'bench', publicKey: hub.publicKey, provisionedAtMs: now_ms },
    {
      url: 'mqtt://127.0.0.1:1',
      topics: {
        records: gatewayTopic(EUI, 'records'), acks: gatewayTopic(EUI, 'acks'), config: gatewayTopic(EUI, 'config'),
        revocations: REVOCATIONS_TOPIC, onlineRequest: gatewayTopic(EUI, 'online/request'), onlineResponse: gatewayTopic(EUI, 'online/response'),
      },
    },
    config, now_ms,
  )
  const device = nodeEd25519.keyPairFromSeed(random.bytes(32))
  const phone = new VirtualPhone(device, nodeEd25519)
  phone.addVoucher(voucherCodec.sign({
    voucherId: random.bytes(16), accountRef: random.bytes(16), devicePublicKey: device.publicKey, currency: CURRENCY,
    limitMinor: PAYMENTS_MAX * AMOUNT_MAX_MINOR, issuedAtMs: now_ms - DAY_MS, expiresAtMs: now_ms + 7 * DAY_MS,
  }, hub.secretKey, nodeEd25519))
  const events = new TerminalEmitter()
  const nonces = random.fork('nonces')
  const payments = new PaymentTerminal({
    store, phone: phoneLink, display: new LastScreen(), printer: NO_PRINTER, online: OFFLINE, events, clock,
    random: length => nonces.bytes(length), ed25519: nodeEd25519, language: 'en', merchantName: 'Bench', printReceipts: false,
  })
  return { store, phone, payments, events }
}
