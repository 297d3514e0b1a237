import t from 'tap'
import { AckOutcome } from '../../../protocol/messages/ack'
import { Reason } from '../../../protocol/reasons'
import { nodeEd25519 } from '../../../protocol/signature/node'
import { GatewayStore } from '../../../hub/gateways/store'
import { ingestWorld, TestGateway } from './world'

const EUI = '00000000000000C1'

t.test('a re-imaged gateway (new key, same EUI) starts again at 1 and settles; its old key is refused, nothing settles twice', async t => {
  const w = await ingestWorld(t)
  const { gateway: old, customer } = await w.twoPayments(EUI)
  t.same((await w.ingest.ingest(EUI, old.batch()))!.entries.map(e => e.outcome), [AckOutcome.Settled, AckOutcome.Settled])

  // The operator issues a token; the re-imaged device provisions with the key it generated.
  const gateways = new GatewayStore(w.context.engine)
  const id = `gw_${EUI}`
  await gateways.setProvisioningToken(id, { sha256Hex: 'ab'.repeat(32), expiresAtMs: w.clock.now_ms() + 1 })
  const keys = nodeEd25519.keyPairFromSeed(new Uint8Array(32).fill(7))
  const provisioned = await gateways.provision({
    id, tokenSha256Hex: 'ab'.repeat(32), publicKey: keys.publicKey, riskConfig: new Uint8Array([1]), riskConfigSerial: 1,
    provisionedAtMs: w.clock.now_ms(),
  })
  t.same(provisioned, { chain: 2, opened: true })
  const reimaged = new TestGateway(EUI, keys, old.ownerUserId, old.merchantAccountId)
  reimaged.append(w.pay(customer.phone, reimaged, 4_000))
  const ack = await w.ingest.ingest(EUI, reimaged.batch())
  t.same(ack!.entries, [{ gatewaySeq: 1, outcome: AckOutcome.Settled, reason: Reason.None }], 'seq 1 again, a new chain: no fork')
  t.equal(await w.balance(old.merchantAccountId), 7_500)
  t.same(w.db.prepare('SELECT chain, gateway_seq FROM gateway_records WHERE eui = ? ORDER BY chain, gateway_seq').all(EUI),
    [{ chain: 1, gateway_seq: 1 }, { chain: 1, gateway_seq: 2 }, { chain: 2, gateway_seq: 1 }])
  t.same(w.db.prepare('SELECT count(*) AS count FROM chain_forks').get(), { count: 0 })

  // The old device, still holding its key, sends its batch again and a payment it took after the re-image.
  old.append(w.pay(customer.phone, old, 500))
  for (const batch of [old.batch(), old.batch(3, 3)]) {
    const refused = await w.ingest.ingest(EUI, batch)
    t.ok(refused!.entries.every(e => e.outcome === AckOutcome.Rejected && e.reason === Reason.ChainClosed), 'refused: its chain is closed')
  }
  t.equal(await w.balance(old.merchantAccountId), 7_500, 'nothing settled twice, nothing settled from the old key')
  t.same(w.db.prepare('SELECT chain, state FROM gateway_chains WHERE eui = ? ORDER BY chain').all(EUI),
    [{ chain: 1, state: 'closed' }, { chain: 2, state: 'open' }], 'the old chain was held whole: closed')
  await w.assertLedgerOk(t)
})
