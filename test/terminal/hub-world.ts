// Terminals against a real hub (startHub: REST, embedded broker, SQLite): each terminal is
// initialized and provisioned the way `payall-terminal init` and `provision` do it, and reaches
// the broker through a relay the test can cut.

import { join } from 'node:path'
import { nodeEd25519 } from '../../protocol/signature/node'
import { startHub, type RunningHub } from '../../hub/server'
import type { VirtualPhone } from '../../simulator/phone'
import { attachTerminal as attachSimulatedTerminal, type Counter } from '../../simulator/fleet/terminal'
import { systemClock, systemRandom } from '../../protocol/clock'
import { DEFAULT_CONFIG } from '../../terminal/config'
import type { TerminalEmitter } from '../../terminal/events'
import { initTerminal } from '../../terminal/init'
import type { PaymentTerminal, PaymentPolicy } from '../../terminal/payment'
import { provision } from '../../terminal/provision'
import type { TerminalStore } from '../../terminal/store/store'
import type { SyncOptions, TerminalSync } from '../../terminal/sync'
import { addUser } from '../hub/http/fixtures'
import { hubConfig, OPERATOR, Rest } from '../hub/e2e/running-hub'
import { RecordingDisplay, RecordingPrinter } from './fixtures'
import type { LinkProxy } from '../../simulator/link-proxy'

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
  pay(phone: VirtualPhone, amount_minor: number, policy?: PaymentPolicy): ReturnType<PaymentTerminal['take']>
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

/** The simulator's terminal around an open store (its relay to the broker down until `proxy.up()`), recording what it shows. */
export async function attachTerminal(
  store: TerminalStore, dataDir: string, ownerEmail: string, brokerUrl: string, syncOptions: Partial<SyncOptions> = {},
): Promise<WorldTerminal> {
  const display = new RecordingDisplay()
  const simulated = await attachSimulatedTerminal(store, dataDir, {
    display, printer: new RecordingPrinter(), config: { ...DEFAULT_CONFIG, merchantName: 'Boutique' }, brokerUrl,
    syncOptions: { ackTimeoutMs: 10_000, onlineTimeoutMs: 3_000, ...syncOptions },
  })
  const { eui, sync, events, relay, counter, payments } = simulated
  return { eui, ownerEmail, dataDir, store, sync, events, proxy: relay, counter, terminal: payments, display, pay: simulated.pay }
}

/** Stops the sync and closes the store (what a shutdown does). */
export async function shutDown(world: WorldTerminal): Promise<void> {
  await world.sync.stop()
  await world.proxy.close()
  world.store.close()
}

/** The merchant account balance the hub holds for a gateway's owner. */
export async function merchantBalance(hub: RunningHub, ownerEmail: string): Promise<number> {
  const owner = await new Rest(hub.httpUrl).as(ownerEmail, 'owner password 1')
  const { accounts } = await owner.ok('GET', '/accounts')
  return accounts.reduce((sum: number, account: { balanceMinor: number }) => sum + account.balanceMinor, 0)
}
