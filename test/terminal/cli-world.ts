// For the tests that drive the terminal through its command line: the CLI's I/O on the system's
// clock with fast reconnects, and a real hub (on a fixed free MQTT port: a hub started on port 0
// would tell gateways ":0" at provisioning) with one gateway assigned to its owner and a provisioning token.

import { join } from 'node:path'
import { startHub, type RunningHub } from '../../hub/server'
import { systemClock, systemRandom } from '../../protocol/clock'
import type { CliIo } from '../../terminal/cli'
import { freePort } from '../../simulator/anvil'
import { hubConfig, OPERATOR, Rest } from '../hub/e2e/running-hub'
import { addUser } from '../hub/http/fixtures'

/** The CLI's I/O writing to `sink`, on the system's clock and network, its link retried within 200 ms. */
export function testCliIo(sink: Pick<CliIo, 'out' | 'err'>, overrides: Partial<CliIo> = {}): CliIo {
  return {
    out: sink.out,
    err: sink.err,
    env: {},
    clock: systemClock,
    random: systemRandom,
    fetch: (url, init) => fetch(url, init),
    stopSignal: () => Promise.resolve(),
    syncOptions: { reconnectInitialMs: 20, reconnectMaxMs: 200 },
    ...overrides,
  }
}

export async function hubWithGatewayToken(
  t: { teardown(fn: () => unknown): void }, base: string, eui: string, ownerEmail: string,
): Promise<{ hub: RunningHub; operator: Rest; token: string }> {
  const hub = await startHub(hubConfig(join(base, 'hub'), { mqttPort: await freePort() }))
  t.teardown(() => hub.stop())
  const operator = await new Rest(hub.httpUrl).as(OPERATOR.email, OPERATOR.password)
  const ownerId = await addUser(hub.context, { email: ownerEmail, password: 'owner password 1', role: 'owner' })
  const gateway = await operator.ok('POST', '/gateways', { name: 'Counter', type: 'pi-nfc', eui, price: '25000' })
  await operator.ok('POST', `/gateways/${gateway.id}/assign`, { ownerUserId: ownerId })
  const { token } = await operator.ok('POST', `/gateways/${gateway.id}/provisioning-token`)
  return { hub, operator, token }
}
