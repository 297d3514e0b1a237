import t from 'tap'
import { Wallet, keccak256 } from 'ethers'
import { systemClock } from '../../protocol/clock'
import { ANVIL_KEYS } from '../../simulator/anvil'
import { ChainFaults } from '../../simulator/fault/chain'
import type { ChainFault } from '../../simulator/fault/chain-plan'

// The chain of a fault run and its faults, without a fleet: a client in the hub's place speaks JSON-RPC
// through the relay, as the hub does, and the driver's side is a list of what it was told.

const ANVIL_CHAIN_ID = 31_337

async function rpc(url: string, method: string, params: unknown[] = []): Promise<unknown> {
  const response = await fetch(url, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  })
  const body = await response.json() as { result?: unknown; error?: { message: string } }
  if (body.error !== undefined) throw new Error(body.error.message)
  return body.result
}

/**
 * The transaction's receipt once the node has mined it: anvil answers eth_sendRawTransaction before its automine's
 * block is in (seen under CI's load), so the receipt is asked for again, at most for 5 s.
 */
async function receiptOf(url: string, hash: string): Promise<{ status: string } | null> {
  for (let tries = 0; ; tries++) {
    const receipt = await rpc(url, 'eth_getTransactionReceipt', [hash]) as { status: string } | null
    if (receipt !== null || tries >= 100) return receipt
    await new Promise<void>(resolve => systemClock.setTimer(resolve, 50))
  }
}

/** A transfer signed by anvil's second key (the hub's is the first), with the nonce given. */
function signedTransfer(nonce: number): Promise<string> {
  return new Wallet(ANVIL_KEYS[1]).signTransaction({
    type: 2, chainId: ANVIL_CHAIN_ID, nonce, to: new Wallet(ANVIL_KEYS[2]).address, value: 1n, gasLimit: 21_000n,
    maxFeePerGas: 10_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n,
  })
}

t.test('the relay cuts the chain for its payments, and kills the hub once its transaction reached the node, left pending until the node mines again', async t => {
  const faults: ChainFault[] = [
    { kind: 'chain-down', payment: 1, payments: 2 },
    { kind: 'hub-kill-anchor', payment: 3, mempool: true },
  ]
  const told: string[] = []
  const kills: boolean[] = [false, true]
  const chain = await ChainFaults.start(faults, {
    // The first kill finds the hub restarting: the kill stays armed for the next transaction.
    killHub: () => kills.shift() ?? false,
    injected: kind => told.push(`injected ${kind}`),
    noted: kind => told.push(`noted ${kind}`),
  })
  t.teardown(() => chain.stop())
  const env = chain.hubEnv()
  const relay = env.PAYALL_CHAIN_RPC!
  const node = chain.underCheck().rpcUrl
  t.not(relay, node, 'the hub speaks to the relay, the checks to the node')
  t.match(env, { PAYALL_CHAIN_KEY: ANVIL_KEYS[0], PAYALL_ANCHOR_ADDRESS: chain.underCheck().contractAddress, PAYALL_ANCHOR_TICK_MS: '250' })

  await chain.beforePayment(0)
  t.equal(await rpc(relay, 'eth_chainId'), '0x7a69', 'the relay passes calls on')
  await chain.beforePayment(1)
  await t.rejects(rpc(relay, 'eth_chainId'), 'cut: every connection is reset')
  t.same(told, ['injected chain-down'])
  await chain.beforePayment(2)
  await t.rejects(rpc(relay, 'eth_chainId'), 'still cut a payment later')
  await chain.beforePayment(3)
  t.equal(await rpc(relay, 'eth_chainId'), '0x7a69', 'back once its payments are over')

  const first = await signedTransfer(0)
  const firstHash = await rpc(relay, 'eth_sendRawTransaction', [first])
  t.same(told, ['injected chain-down', 'noted chain-down'], 'a kill that could not land is not counted, and is armed still')
  const second = await signedTransfer(1)
  await t.rejects(rpc(relay, 'eth_sendRawTransaction', [second]), 'the hub dies before it reads the answer')
  t.same(told, ['injected chain-down', 'noted chain-down', 'injected hub-kill-anchor'])
  const pending = await rpc(node, 'eth_getTransactionByHash', [hashOf(second)]) as { blockNumber: string | null }
  t.equal(pending.blockNumber, null, 'the transaction reached the node, which mines nothing')
  t.equal((await rpc(node, 'eth_getTransactionByHash', [firstHash]) as { blockNumber: string | null }).blockNumber, null)

  chain.hubServes()
  await chain.beforePayment(4)
  t.equal((await rpc(node, 'eth_getTransactionByHash', [hashOf(second)]) as { blockNumber: string | null }).blockNumber, null)
  await chain.beforePayment(5)
  const mined = await rpc(node, 'eth_getTransactionReceipt', [hashOf(second)]) as { status: string } | null
  t.equal(mined?.status, '0x1', 'mined two payments after the hub came back')
  t.equal(await rpc(relay, 'eth_sendRawTransaction', [await signedTransfer(2)]), hashOf(await signedTransfer(2)), 'no kill is armed any more')
  await chain.end(async () => undefined)
  t.same(told.at(-1), 'noted hub-kill-anchor')
})

t.test('a kill still armed as the payments end is waited for, and the node mines again', async t => {
  let killed = 0
  const chain = await ChainFaults.start([{ kind: 'hub-kill-anchor', payment: 0, mempool: false }], {
    killHub: () => ++killed > 0, injected: () => undefined, noted: () => undefined,
  })
  t.teardown(() => chain.stop())
  await chain.beforePayment(0)
  const relay = chain.hubEnv().PAYALL_CHAIN_RPC!
  const ending = chain.end(async () => undefined)
  await t.rejects(rpc(relay, 'eth_sendRawTransaction', [await signedTransfer(0)]))
  await ending
  t.equal(killed, 1)
  const receipt = await receiptOf(chain.underCheck().rpcUrl, hashOf(await signedTransfer(0)))
  t.equal(receipt?.status, '0x1', 'mined at once: the node never stopped')
})

function hashOf(rawTransaction: string): string {
  return keccak256(rawTransaction)
}
