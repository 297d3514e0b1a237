import t, { type Test } from 'tap'
import { StandardMerkleTree } from '@openzeppelin/merkle-tree'
import { toHex } from '../../../protocol/bytes'
import { verifyProofHex } from '../../../protocol/merkle'
import { transferIdOf } from '../../../protocol/messages/authorization'
import { nodeEd25519 } from '../../../protocol/signature/node'
import { buildApp } from '../../../hub/app'
import { sealedBatchMessage } from '../../../hub/anchor/batch'
import type { ProofReply } from '../../../hub/anchor/replies'
import { createAnchorService } from '../../../hub/anchor/service'
import { AnchorStore } from '../../../hub/anchor/store'
import { anchorSettings } from '../../../hub/anchor/settings'
import { addUser, errorOf } from '../http/fixtures'
import { ingestWorld } from '../ingest/world'

async function paymentWorld(t: Test, options: { explorerUrl?: string } = {}) {
  const w = await ingestWorld(t, { seed: 'anchor-routes' })
  const gateway = await w.addGateway('00000000000000C1')
  const customer = await w.addCustomer(100_000, 30_000)
  const stranger = await w.addCustomer(100_000, 30_000)
  gateway.append(w.pay(customer.phone, gateway, 1_000))
  await w.ingest.ingest(gateway.eui, gateway.batch())
  const paymentId = toHex(transferIdOf(gateway.records[0]!.authorization))
  const operatorId = await addUser(w.context, { email: 'operator@example.com', passwordHash: 'x', role: 'operator' })
  const app = await buildApp({ ...w.context, config: { ...w.context.config, explorerUrl: options.explorerUrl } })
  t.teardown(() => app.close())
  await app.ready()
  // The roles in the token are the user's, read from the database.
  const tokenOf = async (userId: string) => (await app.issueAccessToken({ sub: userId })).token
  const get = (url: string, token?: string) =>
    app.inject({ method: 'GET', url, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } })
  const seal = () => createAnchorService(w.context, anchorSettings({ batchAge_ms: 0 }), undefined).tick()
  return {
    w, app, get, seal, paymentId,
    customer: await tokenOf(customer.userId),
    owner: await tokenOf(gateway.ownerUserId),
    stranger: await tokenOf(stranger.userId),
    operator: await tokenOf(operatorId),
  }
}

t.test('a payment’s proof goes to its customer, its gateway’s owner and the operator, and verifies', async t => {
  const world = await paymentWorld(t)
  await world.seal()
  for (const [who, token] of [['customer', world.customer], ['gateway owner', world.owner], ['operator', world.operator]] as const) {
    const response = await world.get(`/transactions/${world.paymentId}/proof`, token)
    t.equal(response.statusCode, 200, who)
    const body = response.json() as ProofReply
    t.equal(body.transferId, world.paymentId)
    t.equal(body.leaf, `0x${world.paymentId}`)
    t.ok(verifyProofHex(body.root, body.leaf, body.proof), `${who}: protocol/merkle accepts it`)
    t.ok(StandardMerkleTree.verify(body.root, ['bytes32'], [body.leaf], body.proof), `${who}: OpenZeppelin accepts it`)
    t.equal(body.batch.status, 'sealed', 'no chain here: sealed, waiting')
    t.equal(body.batch.root, body.root)
  }
  const body = (await world.get(`/transactions/0x${world.paymentId.toUpperCase()}/proof`, world.customer)).json() as ProofReply
  t.equal(body.transferId, world.paymentId, 'the id may come with 0x and in capitals')
  const { batch } = body
  const message = sealedBatchMessage({ batchId: batch.batchId, root: Buffer.from(batch.root.slice(2), 'hex'), count: batch.count, sealedAtMs: batch.sealedAtMs })
  t.ok(nodeEd25519.verify(message, Buffer.from(batch.hubSignature, 'hex'), Buffer.from(batch.hubPublicKey, 'hex')), 'the batch is hub-signed')
  t.equal(batch.hubPublicKey, toHex(world.w.context.hubKeys.publicKey))
})

t.test('anyone else gets 404, as for a transfer that does not exist; without a token, 401', async t => {
  const world = await paymentWorld(t)
  await world.seal()
  const other = await world.get(`/transactions/${world.paymentId}/proof`, world.stranger)
  t.equal(other.statusCode, 404)
  t.equal(errorOf(other).code, 'NOT_FOUND')
  const unknown = await world.get(`/transactions/${'ab'.repeat(32)}/proof`, world.operator)
  t.equal(unknown.statusCode, 404)
  t.equal(errorOf(unknown).message, errorOf(other).message.replace(world.paymentId, 'ab'.repeat(32)), 'the same answer')
  t.equal((await world.get(`/transactions/${world.paymentId}/proof`)).statusCode, 401)
  const malformed = await world.get('/transactions/xyz/proof', world.operator)
  t.equal(malformed.statusCode, 400)
  t.equal(errorOf(malformed).code, 'BAD_REQUEST')
})

t.test('a settled transfer not sealed yet answers 409, then its proof once sealed', async t => {
  const world = await paymentWorld(t)
  const early = await world.get(`/transactions/${world.paymentId}/proof`, world.customer)
  t.equal(early.statusCode, 409)
  t.equal(errorOf(early).code, 'CONFLICT')
  await world.seal()
  t.equal((await world.get(`/transactions/${world.paymentId}/proof`, world.customer)).statusCode, 200)
})

t.test('the operator pages through the batches, newest first; one batch is open to any signed-in user', async t => {
  const world = await paymentWorld(t)
  await world.w.cashIn((await world.w.ledger.openWallet({ id: 'extra', userId: null, currency: 'XOF' })).id, 500)
  const service = createAnchorService(world.w.context, anchorSettings({ batchAge_ms: 0, batchMax: 2 }), undefined)
  const { sealed } = await service.tick()
  t.ok(sealed.length >= 3, 'several batches of two')

  const page = await world.get('/anchors?page=1&pageSize=2', world.operator)
  t.equal(page.statusCode, 200)
  const { items, total, page: number, pageSize } = page.json() as { items: Array<{ batchId: number }>; total: number; page: number; pageSize: number }
  t.same({ total, number, pageSize }, { total: sealed.length, number: 1, pageSize: 2 })
  t.same(items.map(item => item.batchId), [sealed.length, sealed.length - 1])
  t.equal((await world.get('/anchors', world.customer)).statusCode, 403)
  t.equal((await world.get('/anchors?pageSize=1000', world.operator)).statusCode, 400)

  const one = await world.get('/anchors/1', world.customer)
  t.equal(one.statusCode, 200)
  t.match(one.json(), { batchId: 1, status: 'sealed', chainId: null, contract: null, txHash: null, blockNumber: null })
  t.equal((await world.get('/anchors/999', world.customer)).statusCode, 404)
  t.equal((await world.get('/anchors/1')).statusCode, 401)
})

t.test('with --explorer-url a batch with a transaction links it on the explorer, in the list, alone and in a proof; else null', async t => {
  const txHash = `0x${'5e'.repeat(32)}`
  const target = { chainId: 1, contractAddress: `0x${'c0'.repeat(20)}`, senderAddress: `0x${'5d'.repeat(20)}` }
  const world = await paymentWorld(t, { explorerUrl: 'https://etherscan.io' })
  await world.seal()
  t.equal((await world.get('/anchors/1', world.operator)).json().explorerTxUrl, null, 'sealed, no transaction yet: nothing to link')
  t.ok(await new AnchorStore(world.w.context.engine).markSent(1, 0, target, { txHash, txNonce: 0, sentAtMs: 0 }))
  const link = `https://etherscan.io/tx/${txHash}`
  t.equal((await world.get('/anchors/1', world.customer)).json().explorerTxUrl, link)
  t.equal((await world.get('/anchors', world.operator)).json().items[0].explorerTxUrl, link)
  t.equal((await world.get(`/transactions/${world.paymentId}/proof`, world.customer)).json().batch.explorerTxUrl, link)

  const without = await paymentWorld(t)
  await without.seal()
  t.ok(await new AnchorStore(without.w.context.engine).markSent(1, 0, target, { txHash, txNonce: 0, sentAtMs: 0 }))
  const one = (await without.get('/anchors/1', without.operator)).json()
  t.same([one.txHash, one.explorerTxUrl], [txHash, null], 'no explorer configured: the hash alone')
})

t.test('the OpenAPI document describes the anchoring routes with their bearer auth', async t => {
  const world = await paymentWorld(t)
  const { paths } = (await world.app.inject({ method: 'GET', url: '/docs/json' })).json()
  for (const path of ['/anchors', '/anchors/{batchId}', '/transactions/{id}/proof']) {
    t.same(paths[path]?.get?.security, [{ bearerAuth: [] }], `${path} wants a bearer token`)
  }
  t.ok(paths['/transactions/{id}/proof'].get.responses['409'], 'the not-sealed-yet reply is documented')
})
