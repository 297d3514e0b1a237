import t from 'tap'
import { Contract, isError, JsonRpcProvider, Wallet, type ContractTransactionResponse } from 'ethers'
import { ANCHOR_ABI } from '../../hub/anchor/chain'
import { systemClock } from '../../protocol/clock'
import { ANVIL_KEYS } from '../../simulator/anvil'
import type { ChainUnderCheck } from '../../simulator/fleet/anchors'
import type { FaultEvent } from '../../simulator/fleet/faults'
import type { FleetUnderCheck } from '../../simulator/fleet/run'
import type { FaultRunResult } from '../../simulator/fault/run'
import { sim } from './sim-cli'

// A fault run that breaks: what it prints, and that its printed command plays the same faults again
// (fault.test.ts has the runs that pass; a file of its own, so the two run side by side).

interface FaultJson {
  readonly ok: boolean
  readonly runs: readonly FaultRunResult[]
}

const eventLine = (event: FaultEvent): string =>
  `${event.payment === null ? 'at the end' : `payment ${event.payment}`}: ${event.kind}: ${event.detail}`

t.test('a broken invariant fails the run: its seed and its faults are printed, and the command printed replays the same faults', async t => {
  // What no code path may do: a record of the busiest gateway vanishes from its chain.
  const tamper = async (fleet: FleetUnderCheck) => {
    await anchorTwice(fleet.chain!)
    const busiest = [...fleet.terminals].sort((a, b) => b.store.chainHead().gatewaySeq - a.store.chainHead().gatewaySeq)[0]!
    const { store } = busiest
    for (const { name } of store.db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'records'").all()) {
      store.db.exec(`DROP TRIGGER ${name}`)
    }
    store.db.prepare('DELETE FROM records WHERE gateway_seq = 2').run()
  }
  const failed = await sim({}, { beforeCheck: tamper }).run('fault', '--seed', 'gone', '--faults', 'drop,duplicate,power-loss')
  t.equal(failed.code, 1, failed.err)
  t.match(failed.out, /^run 1\/1 seed gone: FAILED/)
  t.match(failed.out, /\n {4}- \[chains-gapless\] /, `what failed is named: ${failed.out}`)
  t.match(failed.out, 'payall-sim fault: 1 runs, 1 failed: seeds gone')
  const replay = /\n {2}replay: payall-sim (fault --seed gone --runs 1 --faults drop,duplicate,power-loss)\n/.exec(failed.out)
  t.ok(replay, 'the command that replays the run is printed')
  const printed = failed.out.split('\n  faults, in order:\n')[1]!.split('\n  replay:')[0]!.split('\n').map(line => line.replace(/^ {4}- /, ''))
  t.ok(printed.length > 0, 'the faults it drew are listed')
  t.ok(printed.some(line => /: power-loss: /.test(line)), 'a power cut among them')

  const again = await sim({}, { beforeCheck: tamper }).run(...replay![1]!.split(' '), '--json')
  t.equal(again.code, 1)
  const [result] = (JSON.parse(again.out) as FaultJson).runs
  const failures = JSON.stringify(result!.failures)
  t.equal(result!.seed, 'gone')
  t.same(result!.faults.events.map(eventLine), printed, 'the same seed drew the same faults, at the same payments')
  t.ok(result!.failures.some(failure => failure.invariant === 'chains-gapless'), `the gap is found again: ${failures}`)
  const roots = result!.failures.filter(failure => failure.invariant === 'roots-anchored-once').map(failure => failure.detail)
  t.match(roots, [/^the contract holds batch 1000000 \(root 0x[0-9a-f]{64}\), which the hub does not list$/, /^root 0x[0-9a-f]{64} is anchored 2 times \(batches 1, 1000000\)$/],
    `a root anchored again under another batch id is caught on the chain: ${failures}`)
})

/**
 * What the hub never does: anchor batch 1's root again, under another batch id (with the hub's own key, the
 * contract's owner). Once the hub has anchored batch 1 itself, so the two transactions do not race for batch 1's
 * nonce: on a loaded machine that may take a while (its chain calls back off), hence the long wait. The hub's later
 * batches may still take the nonce this one was given; it is sent again then, on a fresh one.
 */
async function anchorTwice(chain: ChainUnderCheck): Promise<void> {
  // No cache (ethers keeps a call's answer 250 ms): a send tried again must read the nonce the node has now, not the
  // one the transaction that lost the race was given (CI saw ten tries in a row sent with the same nonce).
  const provider = new JsonRpcProvider(chain.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 })
  try {
    const contract = new Contract(chain.contractAddress, ANCHOR_ABI, new Wallet(ANVIL_KEYS[0], provider))
    let [root, count] = await contract.getFunction('batches').staticCall(1) as [string, bigint]
    for (let tries = 0; BigInt(root) === 0n && tries < 600; tries++) {
      await new Promise<void>(resolve => systemClock.setTimer(resolve, 100))
      ;[root, count] = await contract.getFunction('batches').staticCall(1) as [string, bigint]
    }
    if (BigInt(root) === 0n) throw new Error('the hub did not anchor batch 1 within 60 s')
    // The hub may anchor its next batch meanwhile, with the same key: the nonce this transaction was given may be
    // taken (NONCE_EXPIRED, REPLACEMENT_UNDERPRICED, TRANSACTION_REPLACED). It is sent again, on a fresh one; only
    // a revert (CALL_EXCEPTION, the contract refusing) ends the tries at once. Each failure is kept for the message.
    const failed: string[] = []
    for (let tries = 1; tries <= 10; tries++) {
      try {
        const sent = await contract.getFunction('anchor').send(1_000_000, root, count) as ContractTransactionResponse
        await sent.wait()
        return
      } catch (error) {
        if (isError(error, 'CALL_EXCEPTION')) throw error
        failed.push(error instanceof Error ? error.message : String(error))
      }
    }
    throw new Error(`the second anchoring of batch 1's root failed 10 times: ${failed.join(' | ')}`)
  } finally {
    provider.destroy()
  }
}
