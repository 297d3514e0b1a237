// A test hub listening on a real port (app.inject cannot follow a stream), users signed in, gateways of
// owners, and the events' JSON schemas to check each data against.

import type { AddressInfo } from 'node:net'
import Ajv from 'ajv'
import { walletAccountId } from '../../../hub/accounts'
import { LIVE_EVENT_DATA_SCHEMAS } from '../../../hub/events/model'
import type { Role } from '../../../hub/http/roles'
import { testHub, type Tap, type TestHub } from '../http/fixtures'
import { signIn, type SignedIn } from '../money/fixtures'
import { openStream, type SseEvent, type SseStream } from './sse'

export interface LiveHub extends TestHub {
  readonly url: string
  /** A stream as `user`, closed at the end of the test. */
  stream(user: SignedIn | undefined, lastEventId?: string): Promise<SseStream>
}

export async function liveHub(t: Tap & { teardown(fn: () => unknown): void }): Promise<LiveHub> {
  const hub = await testHub(t)
  await hub.app.listen({ host: '127.0.0.1', port: 0 })
  const url = `http://127.0.0.1:${(hub.app.server.address() as AddressInfo).port}`
  return {
    ...hub,
    url,
    async stream(user, lastEventId) {
      const stream = await openStream(url, user?.token, lastEventId)
      t.teardown(() => stream.close())
      return stream
    },
  }
}

export async function user(hub: TestHub, role: Role): Promise<SignedIn> {
  return signIn(hub, role)
}

/** A gateway of `owner`, its merchant account the owner's XOF wallet; returns its id. */
export async function ownedGateway(hub: TestHub, owner: SignedIn, eui: string): Promise<string> {
  const merchant = await hub.context.ledger.openWallet({ id: walletAccountId(owner.userId, 'XOF'), userId: owner.userId, currency: 'XOF' })
  const id = `gw-${eui}`
  hub.context.db.prepare(
    `INSERT INTO gateways (id, eui, name, type, status, owner_user_id, merchant_account_id, created_at_ms)
     VALUES (?, ?, ?, 'pos', 'assigned', ?, ?, ?)`,
  ).run(id, eui, `Gateway ${eui}`, owner.userId, merchant.id, hub.clock.now_ms())
  return id
}

export async function wallet(hub: TestHub, owner: SignedIn): Promise<string> {
  return (await hub.context.ledger.openWallet({ id: walletAccountId(owner.userId, 'XOF'), userId: owner.userId, currency: 'XOF' })).id
}

const ajv = new Ajv({ strict: false })
const validators = new Map(Object.entries(LIVE_EVENT_DATA_SCHEMAS).map(([type, schema]) => [type, ajv.compile(schema)]))

/** Throws unless the event's data has exactly the shape its type documents. */
export function checkShape(event: SseEvent): SseEvent {
  const validate = validators.get(event.type)
  if (validate === undefined) throw new Error(`no schema for ${event.type}`)
  if (!validate(event.data)) throw new Error(`${event.type} data ${JSON.stringify(event.data)}: ${ajv.errorsText(validate.errors)}`)
  return event
}
