import t from 'tap'
import { Writable } from 'node:stream'
import pino from 'pino'
import { parseConfig } from '../../../hub/config'
import { startHub } from '../../../hub/server'
import { AnchorStore } from '../../../hub/anchor/store'
import { cashTransferId } from '../../../hub/ledger/ids'
import { HUB_CHAIN_KEY, testChain } from './world'

/** A log that resolves `seen(message)` once a line with that message is written. */
function watchedLog() {
  const waiting = new Map<string, () => void>()
  const lines: string[] = []
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line === '') continue
        const { msg } = JSON.parse(line) as { msg: string }
        lines.push(msg)
        waiting.get(msg)?.()
      }
      callback()
    },
  })
  return {
    log: pino({ level: 'info' }, sink),
    seen: (message: string) => lines.includes(message)
      ? Promise.resolve()
      : new Promise<void>(resolve => waiting.set(message, resolve)),
  }
}

t.test('a running hub seals what it settles and anchors it on the configured chain, and stops cleanly', async t => {
  const chain = await testChain(t)
  const { log, seen } = watchedLog()
  const hub = await startHub({
    ...parseConfig([], {
      PAYALL_CHAIN_RPC: chain.anvil.rpcUrl, PAYALL_CHAIN_KEY: HUB_CHAIN_KEY, PAYALL_ANCHOR_ADDRESS: chain.contractAddress,
    }),
    dataDir: t.testdir(), httpHost: '127.0.0.1', httpPort: 0, mqttHost: '127.0.0.1', mqttPort: 0,
  }, { log, anchor: { batchAge_ms: 0, tickInterval_ms: 10 } })
  t.teardown(() => hub.stop())

  const { ledger } = hub.context
  const wallet = await ledger.openWallet({ id: 'hub-test', userId: null, currency: 'XOF' })
  const { external } = await ledger.systemAccounts('XOF')
  const id = cashTransferId('cash_in', wallet.id, 'first')
  await ledger.applyTransfers([{
    id, kind: 'cash_in', currency: 'XOF',
    postings: [{ accountId: external.id, amountMinor: -500, role: 'payer' }, { accountId: wallet.id, amountMinor: 500, role: 'payee' }],
  }])
  await seen('batch anchored')
  const store = new AnchorStore(hub.context.db)
  const batch = store.batch(store.leafOf(id)!.batchId)!
  t.equal(batch.status, 'anchored')
  t.equal(batch.contractAddress, chain.contractAddress)
  await hub.stop()
  t.pass('the hub stops with the anchoring service')
})
