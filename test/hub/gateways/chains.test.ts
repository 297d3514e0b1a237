import t from 'tap'
import { AnchorStore } from '../../../hub/anchor/store'
import type { PublishedMessage } from '../../../hub/bus'
import { gatewayTopic } from '../../../protocol/topics'
import {
  EUI, addGateway, expectStatus, gatewayHub, gatewayKeys, provision, provisionedGateway, provisioningToken, type GatewayHub,
} from './fixtures'

function published(hub: GatewayHub): PublishedMessage[] {
  return (hub.context.bus as unknown as { published: PublishedMessage[] }).published
}

const status = async (hub: GatewayHub, id: string) =>
  expectStatus(await hub.app.inject({ method: 'GET', url: `/gateways/${id}/status`, headers: hub.operator.headers }), 200).json()

/** Chain 1 as the hub holds it after records of it arrived: whole up to `contiguous`, the highest at `highest`. */
function heldChain(hub: GatewayHub, contiguous: number, highest: number): void {
  hub.context.db.prepare(`UPDATE gateway_chains SET contiguous_seq = ?, highest_seq = ?, updated_at_ms = 0 WHERE eui = ? AND chain = 1`)
    .run(contiguous, highest, EUI)
  if (highest > contiguous + 1) {
    hub.context.db.prepare('INSERT INTO chain_gaps (eui, chain, from_seq, to_seq, detected_at_ms) VALUES (?, 1, ?, ?, 0)')
      .run(EUI, contiguous + 1, highest - 1)
  }
}

async function reprovision(hub: GatewayHub, id: string, keyName: string): Promise<void> {
  const token = await provisioningToken(hub, id)
  expectStatus(await provision(hub.app, EUI, token, gatewayKeys(keyName)), 200)
}

t.test('a gateway provisioned again with a new key starts chain 2; its old chain, held whole, closes at once', async (t) => {
  const hub = await gatewayHub(t)
  const { id } = await provisionedGateway(hub)
  t.match(await status(hub, id), { chainNumber: 1, chain: null, closingChains: [] })
  heldChain(hub, 5, 5)
  await reprovision(hub, id, 're-imaged')
  t.match(await status(hub, id), { chainNumber: 2, chain: null, openGaps: [], closingChains: [] }, 'the new chain has nothing yet')
  const states = hub.context.db.prepare('SELECT chain, state FROM gateway_chains WHERE eui = ? ORDER BY chain').all(EUI)
  t.same(states, [{ chain: 1, state: 'closed' }, { chain: 2, state: 'open' }])

  await reprovision(hub, id, 're-imaged')
  t.equal((await status(hub, id)).chainNumber, 2, 'the same key provisioned again keeps its chain')
})

t.test('an old chain with records missing stays closing until an operator writes them off, once, audited', async (t) => {
  const hub = await gatewayHub(t)
  const { id } = await provisionedGateway(hub)
  heldChain(hub, 3, 9)
  await reprovision(hub, id, 'new SD card')
  const closing = (await status(hub, id)).closingChains
  t.match(closing, [{ number: 1, contiguousSeq: 3, highestSeq: 9, openGaps: [{ fromSeq: 4, toSeq: 8 }], openGapCount: 1 }])

  const url = `/gateways/${id}/chains/1/write-off`
  const payload = { note: 'the old SD card is lost' }
  t.equal((await hub.app.inject({ method: 'POST', url, payload })).statusCode, 401)
  t.equal((await hub.app.inject({ method: 'POST', url, payload, headers: hub.owner.headers })).statusCode, 403, 'operators only')
  t.equal((await hub.app.inject({ method: 'POST', url: `/gateways/${id}/chains/2/write-off`, payload, headers: hub.operator.headers }))
    .statusCode, 409, 'the current chain is open: nothing to write off')
  t.equal((await hub.app.inject({ method: 'POST', url: `/gateways/${id}/chains/7/write-off`, payload, headers: hub.operator.headers }))
    .statusCode, 404)
  const done = expectStatus(await hub.app.inject({ method: 'POST', url, payload, headers: hub.operator.headers }), 200).json()
  t.same(done, { gatewayId: id, eui: EUI, chain: 1, state: 'closed', writtenOffFromSeq: 4, writtenOffToSeq: 8 })
  t.same((await status(hub, id)).closingChains, [], 'closed')
  t.match(hub.context.db.prepare('SELECT written_off, resolved_at_ms FROM chain_gaps WHERE eui = ? AND chain = 1').get(EUI),
    { written_off: 1 }, 'its gap is resolved as written off')
  t.equal((await hub.app.inject({ method: 'POST', url, payload, headers: hub.operator.headers })).statusCode, 409, 'once')
  const audit = hub.context.db.prepare(`SELECT detail FROM audit_log WHERE action = 'gateway.chain_write_off'`).all() as Array<{ detail: string }>
  t.same(audit.map((entry) => entry.detail), ['chain 1: records 4..8 written off; the old SD card is lost'])
})

t.test('a retired EUI is given to a new gateway, which starts the next chain; the retired one keeps its rows', async (t) => {
  const hub = await gatewayHub(t)
  const old = await provisionedGateway(hub)
  heldChain(hub, 2, 2)
  t.equal((await addGateway(hub).catch((error: Error) => error.message)).toString().includes('409'), true, 'taken while in use')
  published(hub).length = 0
  expectStatus(await hub.app.inject({ method: 'DELETE', url: `/gateways/${old.id}`, headers: hub.operator.headers }), 200)
  const cleared = [gatewayTopic(EUI, 'config'), gatewayTopic(EUI, 'status')]
    .map((topic) => ({ topic, payload: new Uint8Array(0), retain: true }))
  t.same(published(hub), cleared, 'retiring clears its retained config and presence')
  t.match(hub.context.db.prepare('SELECT state FROM gateway_chains WHERE eui = ? AND chain = 1').get(EUI), { state: 'closed' })

  published(hub).length = 0
  const replacement = await addGateway(hub, { name: 'Counter 2' })
  t.not(replacement.id, old.id)
  t.same(published(hub), cleared, 'a new gateway taking the EUI clears them again')
  expectStatus(await hub.app.inject({
    method: 'POST', url: `/gateways/${replacement.id}/assign`, headers: hub.operator.headers, payload: { ownerUserId: hub.owner.id },
  }), 200)
  expectStatus(await provision(hub.app, EUI, await provisioningToken(hub, replacement.id), gatewayKeys('replacement')), 200)
  t.match(await status(hub, replacement.id), { status: 'provisioned', chainNumber: 2, chain: null, closingChains: [] })
  t.match(await status(hub, old.id), { status: 'retired', chainNumber: 1, chain: { contiguousSeq: 2, highestSeq: 2 } },
    'the retired gateway keeps its chain for audit')
  const catalog = expectStatus(await hub.app.inject({ method: 'GET', url: '/gateways' }), 200).json()
  t.same(catalog.items.map((item: { id: string }) => item.id), [replacement.id])
})

t.test('an EUI passed on keeps its payments apart: each gateway\'s history holds what it took in its own life', async (t) => {
  const hub = await gatewayHub(t)
  const old = await provisionedGateway(hub)
  const payment = (key: number) => {
    const id = key.toString(16).padStart(64, '0')
    hub.context.db.prepare(`INSERT INTO transfers (id, kind, currency, amount_minor, gateway_eui, content_sha256, created_at_ms)
      VALUES (?, 'offline_payment', 'XOF', 100, ?, ?, ?)`).run(id, EUI, id, hub.clock.now_ms())
    return id
  }
  hub.clock.advance(1_000)
  const taken = payment(1)
  hub.clock.advance(1_000)
  expectStatus(await hub.app.inject({ method: 'DELETE', url: `/gateways/${old.id}`, headers: hub.operator.headers }), 200)
  hub.clock.advance(1_000)
  // Another shop gets a gateway with the same EUI.
  const replacement = await addGateway(hub, { name: 'Counter 2' })
  expectStatus(await hub.app.inject({
    method: 'POST', url: `/gateways/${replacement.id}/assign`, headers: hub.operator.headers, payload: { ownerUserId: hub.otherOwner.id },
  }), 200)
  hub.clock.advance(1_000)
  const takenSince = payment(2)
  const history = async (id: string, caller: { headers: Record<string, string> }, path = 'gateway') => {
    const response = await hub.app.inject({ method: 'GET', url: `/transactions/${id}/${path}?from=1970-01-01T00:00:00.000Z`, headers: caller.headers })
    return path === 'gateway' ? expectStatus(response, 200).json().items.map((item: { id: string }) => item.id) : expectStatus(response, 200).body
  }
  t.same(await history(old.id, hub.owner), [taken], 'the first owner sees what the retired gateway took')
  t.same(await history(replacement.id, hub.otherOwner), [takenSince], 'the new holder of the EUI sees only what it took since')
  const csv = await history(replacement.id, hub.otherOwner, 'gateway.csv') as string
  t.ok(csv.includes(takenSince) && !csv.includes(taken), 'and its CSV export the same')
  t.same(await history(old.id, hub.operator), [taken], 'so does an operator, gateway by gateway')
  hub.context.db.prepare(`INSERT INTO gateway_presence (eui, online, last_seen_at_ms) VALUES (?, 1, ?)
    ON CONFLICT (eui) DO UPDATE SET online = 1, last_seen_at_ms = excluded.last_seen_at_ms`).run(EUI, hub.clock.now_ms())
  t.match(await status(hub, replacement.id), { online: true }, 'the new holder of the EUI is heard online')
  t.match(await status(hub, old.id), { online: false, lastSeenAtMs: null }, 'the retired gateway is not: what is heard is not of it')
  const anchors = new AnchorStore(hub.context.engine)
  t.same([await anchors.isParty(taken, hub.owner.id), await anchors.isParty(taken, hub.otherOwner.id)], [true, false],
    'the proof of a payment is its gateway owner\'s of the time, not the new holder\'s')
  t.same([await anchors.isParty(takenSince, hub.owner.id), await anchors.isParty(takenSince, hub.otherOwner.id)], [false, true])
})
