// A real hub (on a fixed free MQTT port: a hub started on port 0 would tell gateways ":0" at
// provisioning) with one gateway assigned to its owner and a provisioning token, for the tests
// that drive the terminal through its command line.

import { join } from 'node:path'
import { startHub, type RunningHub } from '../../hub/server'
import { freePort } from '../../simulator/anvil'
import { hubConfig, OPERATOR, Rest } from '../hub/e2e/running-hub'
import { addUser } from '../hub/http/fixtures'

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
