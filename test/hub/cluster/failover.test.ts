// Three hub processes on one PostgreSQL and one Mosquitto (npm run cluster's own start), a simulated fleet paying
// through them with duplicate batches (its terminals send again what is not acked), and two hubs killed with
// SIGKILL: one while batches are being settled, and the leader while its anchoring transaction waits in anvil's
// mempool. The fleet's own checks must hold at its end (the ledger verifies, every approved payment settled once,
// every double spend flagged, every revoked voucher revoked at every gateway), another hub must take the lease and
// finish the anchoring the dead leader began, and every root on the chain must be the one sealed in the database.

import t, { type Test } from 'tap'
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Pool } from 'pg'
import { startCluster, type ClusterHub, type RunningCluster } from '../../../hub/cluster/cluster'
import { connectAnchorChain, deployAnchor } from '../../../hub/anchor/chain'
import { ANVIL_KEYS, freePort, startAnvil, type Anvil } from '../../../simulator/anvil'
import { databaseUrlOf, postgresSkip, testDatabase } from '../../helpers/postgres'
import { requiredProgram } from '../../helpers/required-program'

const mosquitto = requiredProgram('mosquitto', ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'], 'apt-get install mosquitto; .ci/run does')
const skip = mosquitto.skip || postgresSkip()
const SIMULATOR = join(__dirname, '..', '..', '..', 'dist', 'simulator', 'cli.js')
const OPERATOR = { PAYALL_OPERATOR_EMAIL: 'operator@cluster.example', PAYALL_OPERATOR_PASSWORD: 'cluster operator password' }
const CHAIN_KEY = ANVIL_KEYS[0]!
const WAIT_MS = 120_000

/** Resolves once `check` answers something (polled: the state is another process's), or fails naming `what`. */
async function until<T>(what: string, check: () => Promise<T | undefined>, timeout_ms = WAIT_MS): Promise<T> {
  const deadline = Date.now() + timeout_ms
  for (;;) {
    const answer = await check()
    if (answer !== undefined) return answer
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 100))
  }
}

async function health(hub: ClusterHub): Promise<{ leader: boolean } | undefined> {
  try {
    const reply = await fetch(`${hub.httpUrl}/health`)
    return reply.ok ? await reply.json() as { leader: boolean } : undefined
  } catch {
    return undefined
  }
}

/** The one hub of `hubs` that leads, once exactly one says so. */
async function leaderOf(hubs: readonly ClusterHub[]): Promise<ClusterHub> {
  return until('one hub to lead', async () => {
    const answers = await Promise.all(hubs.map(health))
    const leading = hubs.filter((_, index) => answers[index]?.leader === true)
    return leading.length === 1 ? leading[0] : undefined
  })
}

async function count(pool: Pool, sql: string): Promise<number> {
  return Number((await pool.query<{ n: string }>(sql)).rows[0]!.n)
}

/** payall-sim run against `hubUrl` as the operator: its JSON report and exit code. */
function runFleet(hubUrl: string): { done: Promise<{ code: number | null; report: string; errors: string }> } {
  const child = spawn(process.execPath, [SIMULATOR, 'run', '--hub', hubUrl, '--terminals', '3', '--customers', '12',
    '--payments', '90', '--offline-ratio', '0.4', '--double-spend-ratio', '0.05', '--seed', '17', '--json'],
  { env: { ...process.env, ...OPERATOR }, stdio: ['ignore', 'pipe', 'pipe'] })
  let report = ''
  let errors = ''
  child.stdout.on('data', (chunk: Buffer) => { report += chunk.toString('utf8') })
  child.stderr.on('data', (chunk: Buffer) => { errors += chunk.toString('utf8') })
  return { done: new Promise(resolve => child.on('exit', code => resolve({ code, report, errors }))) }
}

async function anchorChain(t: Test): Promise<{ anvil: Anvil; address: string }> {
  const anvil = await startAnvil()
  t.teardown(() => anvil.stop())
  const { address } = await deployAnchor({ rpcUrl: anvil.rpcUrl, privateKey: CHAIN_KEY, rpcTimeout_ms: 5_000 })
  // From now on blocks come only when the test mines one: an anchoring transaction waits in the mempool.
  await anvil.rpc('evm_setAutomine', [false])
  return { anvil, address }
}

t.test('hubs killed mid-batch and mid-anchor: every payment settled once, anchoring resumes on another hub', { skip, timeout: 300_000 }, async t => {
  const database = await testDatabase(t)
  const pool = await database.pool('public')
  t.teardown(() => pool.end())
  const { anvil, address } = await anchorChain(t)
  const cluster: RunningCluster = await startCluster({
    hubs: 3,
    databaseUrl: databaseUrlOf(database.config),
    basePort: await freePort(),
    hubEnv: {
      ...OPERATOR, PAYALL_LOG_LEVEL: 'info', PAYALL_CHAIN_RPC: anvil.rpcUrl, PAYALL_CHAIN_KEY: CHAIN_KEY,
      PAYALL_ANCHOR_ADDRESS: address, PAYALL_ANCHOR_BATCH_MAX: '16', PAYALL_ANCHOR_BATCH_AGE_MS: '300',
      PAYALL_ANCHOR_TICK_MS: '200', PAYALL_ANCHOR_CONFIRMATIONS: '1',
    },
  })
  t.teardown(() => cluster.stop())

  const leader = await leaderOf(cluster.hubs)
  const [served, victim] = cluster.hubs.filter(hub => hub !== leader)
  const fleet = runFleet(served!.httpUrl)

  // Mid-batch: a hub that is not the leader dies while records are being settled; its unacked batches come again.
  await until('records settled', async () => await count(pool, 'SELECT count(*) AS n FROM gateway_records') >= 5 || undefined)
  victim!.kill('SIGKILL')
  t.equal(await victim!.exited, null, 'the first hub is killed mid-batch')

  // Mid-anchor: the leader dies with its anchoring transaction sent, not mined.
  await until('an anchoring transaction sent', async () =>
    await count(pool, "SELECT count(*) AS n FROM anchor_batches WHERE status = 'sent'") >= 1 || undefined)
  leader.kill('SIGKILL')
  t.equal(await leader.exited, null, 'the leader is killed mid-anchor')
  const successor = await leaderOf([served!])
  t.equal(successor, served, 'the hub left takes the lease')

  const { code, report, errors } = await fleet.done
  if (code !== 0) t.comment(errors)
  t.equal(code, 0, "the fleet's run ends with its checks held")
  const summary = JSON.parse(report) as { approved: number; settled: number; invariants: { ok: boolean; failures: string[] } }
  t.same(summary.invariants, { ok: true, failures: [] }, 'money conserved, every approved payment settled exactly once')
  t.ok(summary.approved > 0 && summary.settled > 0, 'payments were taken and settled')

  // Anchoring resumes on the hub left: it finds the dead leader's transaction, and seals and anchors the rest.
  await until('every transfer anchored', async () => {
    await anvil.mine(1)
    const open = await count(pool, "SELECT count(*) AS n FROM anchor_batches WHERE status <> 'anchored'")
      + await count(pool, 'SELECT count(*) AS n FROM anchor_queue')
    return open === 0 || undefined
  }).catch(async (error: unknown) => {
    // What was left, and what the hub left said of its anchoring: a stall seen once on a loaded machine, not since.
    const batches = await pool.query('SELECT id, status, tx_nonce, send_count, last_error FROM anchor_batches ORDER BY id')
    t.comment(JSON.stringify(batches.rows))
    const log = readFileSync(successor.logFile, 'utf8').split('\n').filter(line => /anchor|lead|lease/i.test(line))
    t.comment(log.slice(-40).join('\n'))
    throw error
  })
  const batches = (await pool.query<{ id: string; root: Buffer }>('SELECT id, root FROM anchor_batches ORDER BY id')).rows
  t.ok(batches.length >= 2, 'more than one batch was anchored')
  const chain = await connectAnchorChain({
    rpcUrl: anvil.rpcUrl, privateKey: CHAIN_KEY, contractAddress: address, maxFeePerGas_wei: 100n * 10n ** 9n,
    gasLimit_max: 500_000, rpcTimeout_ms: 5_000,
  })
  t.teardown(() => chain.close())
  const differing: string[] = []
  for (const batch of batches) {
    const onChain = await chain.batch(Number(batch.id))
    if (onChain?.root !== `0x${batch.root.toString('hex')}`) differing.push(`batch ${batch.id}: ${onChain?.root ?? 'not on the chain'}`)
  }
  t.same(differing, [], `each of the ${batches.length} roots on the chain is the one sealed`)
  // No revocation lost: every voucher revoked (the double spends') is on the list the gateways get, with its delta.
  t.ok(await count(pool, 'SELECT count(*) AS n FROM vouchers WHERE revoked_at_ms IS NOT NULL') > 0, 'vouchers were revoked')
  t.equal(await count(pool, 'SELECT count(*) AS n FROM vouchers WHERE revoked_at_ms IS NOT NULL AND listed_serial IS NULL'), 0,
    'every revoked voucher is listed')
  t.equal(await count(pool, 'SELECT count(*) AS n FROM vouchers v WHERE listed_serial IS NOT NULL AND NOT EXISTS '
    + '(SELECT 1 FROM revocation_deltas d WHERE d.serial = v.listed_serial)'), 0, 'with the delta that lists it')
})
