import t from 'tap'
import { ManualClock } from '../../../protocol/clock'
import { parseConfig } from '../../../hub/config'
import { startHub } from '../../../hub/server'
import { ANCHOR_SETTINGS_DEFAULT } from '../../../hub/anchor/settings'
import { AnchorStore } from '../../../hub/anchor/store'
import { cashTransferId } from '../../../hub/ledger/ids'
import { watchedLog } from '../helpers/watched-log'
import { HUB_CHAIN_KEY, testChain } from './world'

t.test('a running hub seals what it settles and anchors it on the configured chain, tick by tick on its clock, and stops cleanly', async t => {
  const chain = await testChain(t)
  const { log, seen } = watchedLog()
  const clock = new ManualClock(Date.now())
  const hub = await startHub({
    ...parseConfig([], {
      PAYALL_CHAIN_RPC: chain.anvil.rpcUrl, PAYALL_CHAIN_KEY: HUB_CHAIN_KEY, PAYALL_ANCHOR_ADDRESS: chain.contractAddress,
    }),
    dataDir: t.testdir(), httpHost: '127.0.0.1', httpPort: 0, mqttHost: '127.0.0.1', mqttPort: 0,
  }, { log, clock, anchor: { batchAge_ms: 0 } })
  t.teardown(() => hub.stop())
  const tick = async () => {
    await clock.run(ANCHOR_SETTINGS_DEFAULT.tickInterval_ms)
    await hub.anchoring.idle()
  }

  const { ledger } = hub.context
  const wallet = await ledger.openWallet({ id: 'hub-test', userId: null, currency: 'XOF' })
  const { external } = await ledger.systemAccounts('XOF')
  const id = cashTransferId('cash_in', wallet.id, 'first')
  await ledger.applyTransfers([{
    id, kind: 'cash_in', currency: 'XOF',
    postings: [{ accountId: external.id, amountMinor: -500, role: 'payer' }, { accountId: wallet.id, amountMinor: 500, role: 'payee' }],
  }])
  const store = new AnchorStore(hub.context.engine)
  await clock.run(ANCHOR_SETTINGS_DEFAULT.tickInterval_ms - 1)
  await hub.anchoring.idle()
  t.equal(await store.leafOf(id), undefined, 'nothing is sealed before the first tick')
  await tick()
  const batchId = (await store.leafOf(id))!.batchId
  t.equal((await store.batch(batchId))!.status, 'sent', 'the first tick seals the batch and sends its transaction')
  await tick()
  await seen('batch anchored')
  const batch = (await store.batch(batchId))!
  t.equal(batch.status, 'anchored', 'the next one sees it mined')
  t.equal(batch.contractAddress, chain.contractAddress)
  await hub.stop()
  t.equal(clock.pendingTimers, 0, 'a stopped hub leaves no timer behind')
})
