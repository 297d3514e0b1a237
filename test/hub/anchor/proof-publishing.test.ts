import t, { type Test } from 'tap'
import { randomBytes } from 'node:crypto'
import { StandardMerkleTree } from '@openzeppelin/merkle-tree'
import { toHex } from '../../../protocol/bytes'
import { ManualClock } from '../../../protocol/clock'
import { verifyProof } from '../../../protocol/merkle'
import { ackCodec } from '../../../protocol/messages/ack'
import { transferIdOf } from '../../../protocol/messages/authorization'
import {
  canonicalTransferIds, proofBundleCodec, proofRequestCodec, type ProofBundle,
} from '../../../protocol/messages/proof-bundle'
import { nodeEd25519 } from '../../../protocol/signature/node'
import { gatewayTopic } from '../../../protocol/topics'
import type { HubConfig } from '../../../hub/config'
import { ANCHOR_SETTINGS_DEFAULT } from '../../../hub/anchor/settings'
import { AnchorStore } from '../../../hub/anchor/store'
import { startHub, type RunningHub } from '../../../hub/server'
import { SimulatedGatewayChain } from '../../../simulator/gateway-chain'
import {
  connectGateway, customerWithVoucher, CURRENCY, hubConfig, nextMessage, OPERATOR, provisionGateway, Rest, subscribe,
} from '../e2e/running-hub'
import { HUB_CHAIN_KEY, testChain } from './world'

type Customer = Awaited<ReturnType<typeof customerWithVoucher>>

/** A provisioned gateway on the broker, subscribed to its acks and proofs; every proof bundle it receives is kept. */
async function onlineGateway(t: Test, hub: RunningHub, operator: Rest, eui: string, ownerEmail: string) {
  const provisioned = await provisionGateway(hub, operator, eui, ownerEmail)
  const chain = new SimulatedGatewayChain(eui, provisioned.keys)
  const client = await connectGateway(hub.mqttUrl!, eui, provisioned.keys)
  t.teardown(() => client.endAsync())
  const bundles: Array<{ bundle: ProofBundle; qos: number }> = []
  let waiter: (() => void) | undefined
  client.on('message', (topic, payload, packet) => {
    if (topic !== gatewayTopic(eui, 'proofs')) return
    bundles.push({ bundle: proofBundleCodec.decode(new Uint8Array(payload)), qos: packet.qos })
    waiter?.()
  })
  t.same(await subscribe(client, gatewayTopic(eui, 'acks')), [1])
  t.same(await subscribe(client, gatewayTopic(eui, 'proofs')), [1])
  return {
    eui, chain, client, bundles, hubPublicKey: provisioned.hubPublicKey,
    /** Pays offline `amounts`, uploads the batch and waits for its ack; the transfer ids, hex. */
    async payAndSync(customer: Customer, amounts: number[]): Promise<string[]> {
      const ids = amounts.map(amount_minor => {
        const { authorization } = customer.phone.authorize({
          gatewayEui: eui, amountMinor: amount_minor, currency: CURRENCY, nonce: randomBytes(16), timeMs: Date.now(), merchantName: 'Shop',
        })
        chain.append(authorization)
        return toHex(transferIdOf(authorization))
      })
      const acked = nextMessage(client, gatewayTopic(eui, 'acks'))
      const from = chain.position.gatewaySeq - amounts.length + 1
      await client.publishAsync(gatewayTopic(eui, 'records'), Buffer.from(chain.batch(from)), { qos: 1 })
      ackCodec.decode(new Uint8Array(await acked))
      return ids
    },
    /** Resolves once bundles with proofs cover every id in `ids`. */
    async proofsFor(ids: readonly string[]): Promise<void> {
      const covered = () => {
        const proved = new Set(bundles.flatMap(({ bundle }) => bundle.entries.map(entry => toHex(entry.transferId))))
        return ids.every(id => proved.has(id))
      }
      while (!covered()) await new Promise<void>(resolve => { waiter = resolve })
    },
    /** Publishes a request and resolves with the next `count` bundles it receives. */
    async ask(payload: Uint8Array, count: number): Promise<ProofBundle[]> {
      const before = bundles.length
      await client.publishAsync(gatewayTopic(eui, 'proofs/request'), Buffer.from(payload), { qos: 1 })
      while (bundles.length < before + count) await new Promise<void>(resolve => { waiter = resolve })
      return bundles.slice(before).map(({ bundle }) => bundle)
    },
  }
}

/**
 * A hub whose clock moves only when the test says: tick() moves it one anchoring interval and waits for that
 * tick to finish. Started at the machine's time, as the gateways sign their passwords and payments with it.
 */
async function hubOnManualClock(t: Test, config: Partial<HubConfig> = {}) {
  const clock = new ManualClock(Date.now())
  const hub = await startHub(hubConfig(t.testdir(), config), { clock, anchor: { batchAge_ms: 0 } })
  t.teardown(() => hub.stop())
  const tick = async () => {
    await clock.run(ANCHOR_SETTINGS_DEFAULT.tickInterval_ms)
    await hub.anchoring.idle()
  }
  return { hub, tick }
}

const request = (eui: string, idsHex: string[]) =>
  proofRequestCodec.encode({ gatewayEui: eui, transferIds: canonicalTransferIds(idsHex.map(id => Buffer.from(id, 'hex'))) })

t.test('an anchored batch sends each gateway the proofs of its own payments, hub-signed, at QoS 1', async t => {
  const chain = await testChain(t)
  const { hub, tick } = await hubOnManualClock(t, {
    chainRpcUrl: chain.anvil.rpcUrl, chainKey: HUB_CHAIN_KEY, anchorAddress: chain.contractAddress,
  })
  const operator = await new Rest(hub.httpUrl).as(OPERATOR.email, OPERATOR.password)
  const customer = await customerWithVoucher(operator, 'fatou@phone.example', 100_000, '50000')
  const a = await onlineGateway(t, hub, operator, '70B3D57ED0000B01', 'a@shop.example')
  const b = await onlineGateway(t, hub, operator, '70B3D57ED0000B02', 'b@shop.example')

  const idsA = await a.payAndSync(customer, [1_000, 2_000, 3_000])
  const idsB = await b.payAndSync(customer, [4_000])
  // One tick seals the payments and sends the batch's transaction, the next sees it mined.
  await tick()
  t.same(a.bundles, [], 'nothing is pushed before the batch is anchored')
  await tick()
  await Promise.all([a.proofsFor(idsA), b.proofsFor(idsB)])

  const onChain = await chain.connect()
  t.teardown(() => onChain.close())
  for (const [gateway, ids] of [[a, idsA], [b, idsB]] as const) {
    for (const { bundle, qos } of gateway.bundles) {
      t.equal(qos, 1, 'delivered at QoS 1')
      t.ok(proofBundleCodec.verify(bundle, gateway.hubPublicKey, nodeEd25519), 'signed by the hub key the gateway pinned')
      t.equal(bundle.gatewayEui, gateway.eui)
      const batch = bundle.batch!
      t.match(await onChain.batch(batch.batchId), { root: `0x${toHex(batch.root)}`, count: batch.leafCount, blockNumber: batch.blockNumber },
        'the root is the one on chain')
      t.equal(toHex(batch.contractAddress), chain.contractAddress.slice(2).toLowerCase())
      t.equal(batch.chainId, onChain.target.chainId)
      for (const entry of bundle.entries) {
        t.ok(ids.includes(toHex(entry.transferId)), 'only this gateway\'s own payments')
        t.ok(verifyProof(batch.root, entry.transferId, entry.proof), 'the proof leads to the root')
        t.ok(StandardMerkleTree.verify(`0x${toHex(batch.root)}`, ['bytes32'], [`0x${toHex(entry.transferId)}`],
          entry.proof.map(node => `0x${toHex(node)}`)), 'and OpenZeppelin agrees')
      }
    }
  }

  // A gateway that missed the push asks: proofs again, and another gateway's payment is unknown to it.
  const answer = await a.ask(request(a.eui, [...idsA, idsB[0]!]), 2)
  const proved = answer.flatMap(bundle => bundle.entries.map(entry => toHex(entry.transferId)))
  t.same(proved.sort(), [...idsA].sort(), 'its own proofs come again')
  const lists = answer.find(bundle => bundle.batch === null)!
  t.same(lists.unknown.map(toHex), idsB, 'another gateway\'s transfer is not shown')
  t.same(lists.pending, [])
})

t.test('proofs of payments not anchored yet are answered as pending; bad requests are dropped', async t => {
  // No chain configured: batches are sealed and wait, so every settled payment stays pending.
  const { hub, tick } = await hubOnManualClock(t)
  const operator = await new Rest(hub.httpUrl).as(OPERATOR.email, OPERATOR.password)
  const customer = await customerWithVoucher(operator, 'moussa@phone.example', 100_000, '50000')
  const gateway = await onlineGateway(t, hub, operator, '70B3D57ED0000B03', 'c@shop.example')
  const ids = await gateway.payAndSync(customer, [500, 700])
  await tick()
  const anchors = new AnchorStore(hub.context.engine)
  t.ok((await Promise.all(ids.map(id => anchors.leafOf(id)))).every(leaf => leaf !== undefined), 'the payments are sealed')
  const never = toHex(randomBytes(32))

  const dropped = [
    Uint8Array.from([0x12, 1, 0xff]),
    request('70B3D57ED0000BFF', ids),
  ]
  for (const payload of dropped) await gateway.client.publishAsync(gatewayTopic(gateway.eui, 'proofs/request'), Buffer.from(payload), { qos: 1 })
  const [answer] = await gateway.ask(request(gateway.eui, [...ids, never]), 1)
  t.equal(gateway.bundles.length, 1, 'a malformed request and one naming another gateway got no answer')
  t.ok(proofBundleCodec.verify(answer!, gateway.hubPublicKey, nodeEd25519))
  t.equal(answer!.batch, null)
  t.same(answer!.pending.map(toHex), [...ids].sort(), 'settled, not anchored')
  t.same(answer!.unknown.map(toHex), [never])
})
