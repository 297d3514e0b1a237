// Terminals against a real hub (startHub: REST, embedded broker, SQLite): each terminal is
// initialized and provisioned the way `payall-terminal init` and `provision` do it, and reaches
// the broker through a relay the test can cut.

import { join } from 'node:path'
import mqtt from 'mqtt'
import { nodeEd25519 } from '../../protocol/signature/node'
import { startHub, type RunningHub } from '../../hub/server'
import type { VirtualPhone } from '../../simulator/phone'
import { systemClock, systemRandom } from '../../terminal/environment'
import { DEFAULT_CONFIG } from '../../terminal/config'
import type { TerminalEmitter } from '../../terminal/events'
import { initTerminal } from '../../terminal/init'
import type { PaymentTerminal, PaymentPolicy, PhoneLink } from '../../terminal/payment'
import { provision } from '../../terminal/provision'
import type { TerminalStore } from '../../terminal/store/store'
import { startRuntime } from '../../terminal/runtime'
import type { SyncOptions, TerminalSync } from '../../terminal/sync'
import { addUser } from '../hub/http/fixtures'
import { hubConfig, OPERATOR, Rest } from '../hub/e2e/running-hub'
import { paymentRequestCodec } from '../../protocol/messages/payment-request'
import { paymentResponseCodec } from '../../protocol/messages/payment-response'
import { RecordingDisplay, RecordingPrinter } from './fixtures'
import { LinkProxy } from './tcp-proxy'

export { customerWithVoucher, OPERATOR, Rest } from '../hub/e2e/running-hub'

export interface Tap {
  testdir(): string
  teardown(fn: () => unknown): void
}

export async function startTestHub(t: Tap): Promise<{ hub: RunningHub; operator: Rest; dir: string }> {
  const dir = t.testdir()
  const hub = await startHub(hubConfig(join(dir, 'hub')))
  t.teardown(() => hub.stop())
  const operator = await new Rest(hub.httpUrl).as(OPERATOR.email, OPERATOR.password)
  return { hub, operator, dir }
}

/** The phone the customer holds to the terminal: whoever taps next. */
export class Counter implements PhoneLink {
  tapped: VirtualPhone | undefined
  async exchange(request: Uint8Array): Promise<Uint8Array> {
    if (this.tapped === undefined) throw new Error('nobody tapped')
    return paymentResponseCodec.encode(this.tapped.authorize(paymentRequestCodec.decode(request)))
  }
}

export interface WorldTerminal {
  eui: string
  ownerEmail: string
  dataDir: string
  store: TerminalStore
  sync: TerminalSync
  events: TerminalEmitter
  proxy: LinkProxy
  counter: Counter
  terminal: PaymentTerminal
  display: RecordingDisplay
  pay(phone: VirtualPhone, amountMinor: number, policy?: PaymentPolicy): ReturnType<PaymentTerminal['take']>
}

/** Operator REST steps for a gateway, then the terminal's own init and provision, with its link down. */
export async function provisionedTerminal(
  hub: RunningHub, operator: Rest, baseDir: string, eui: string, ownerEmail: string, syncOptions: Partial<SyncOptions> = {},
): Promise<WorldTerminal> {
  const ownerId = await addUser(hub.context, { email: ownerEmail, password: 'owner password 1', role: 'owner' })
  const gateway = await operator.ok('POST', '/gateways', { name: `Counter ${eui}`, type: 'pi-nfc', eui, price: '25000' })
  await operator.ok('POST', `/gateways/${gateway.id}/assign`, { ownerUserId: ownerId })
  const { token } = await operator.ok('POST', `/gateways/${gateway.id}/provisioning-token`)

  const dataDir = join(baseDir, eui)
  const store = initTerminal(dataDir, eui, { clock: systemClock, random: systemRandom })
  await provision(store, hub.httpUrl, token, { fetch, clock: systemClock, ed25519: nodeEd25519 })
  return attachTerminal(store, dataDir, ownerEmail, hub.mqttUrl!, syncOptions)
}

/**
 * Runtime around an open store: a relay to the broker (down until `proxy.up()`), the sync and the
 * counter. The relay targets the broker's real address: a hub started on port 0 tells gateways
 * `mqtt://…:0` at provisioning (gatewayMqttUrl reads the configured port, not the bound one).
 */
export async function attachTerminal(
  store: TerminalStore, dataDir: string, ownerEmail: string, brokerUrl: string, syncOptions: Partial<SyncOptions> = {},
): Promise<WorldTerminal> {
  const relay = LinkProxy.forUrl(brokerUrl)
  // Reserve a port, then cut: the terminal starts with its link down.
  await relay.up()
  await relay.down()
  const counter = new Counter()
  const display = new RecordingDisplay()
  const { events, sync, payments: terminal } = startRuntime(
    store,
    { phone: counter, display, printer: new RecordingPrinter() },
    { ...DEFAULT_CONFIG, merchantName: 'Boutique' },
    { clock: systemClock, random: systemRandom },
    {
      reconnectInitialMs: 20, reconnectMaxMs: 200, ackTimeoutMs: 10_000, onlineTimeoutMs: 3_000,
      connect: (_url, options) => mqtt.connect(relay.url, options),
      ...syncOptions,
    },
  )
  return {
    eui: store.identity().eui, ownerEmail, dataDir, store, sync, events, proxy: relay, counter, terminal, display,
    pay(phone, amountMinor, policy) {
      counter.tapped = phone
      return terminal.take(amountMinor, policy)
    },
  }
}

/** Stops the sync and closes the store (what a shutdown does). */
export async function shutDown(world: WorldTerminal): Promise<void> {
  await world.sync.stop()
  await world.proxy.down()
  world.store.close()
}

/** The merchant account balance the hub holds for a gateway's owner. */
export async function merchantBalance(hub: RunningHub, ownerEmail: string): Promise<number> {
  const owner = await new Rest(hub.httpUrl).as(ownerEmail, 'owner password 1')
  const { accounts } = await owner.ok('GET', '/accounts')
  return accounts.reduce((sum: number, account: { balanceMinor: number }) => sum + account.balanceMinor, 0)
}
