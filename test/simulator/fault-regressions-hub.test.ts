import t from 'tap'
import { sim } from './sim-cli'

// Seeds on which the fault simulation found a bug, played again after its fix. Each failed before it. One file per
// kind of fault, each a few runs, so that a loaded machine runs them side by side and none nears tap's deadline:
// the hub's and the customers' (revocations while the hub is locked, killed, or revoked first).

t.test('seed soak-4a219f9f.21: a customer revoking a voucher the hub revoked already is no failure of the fleet', async t => {
  // The hub had revoked the voucher itself (a double spend refused online tells the simulator nothing), and the
  // customer's own revocation met 409 VOUCHER_NOT_OPEN, which stopped the run as if the fleet had not recovered.
  const run = await sim().run('fault', '--seed', 'soak-4a219f9f.21', '--runs', '1')
  t.equal(run.code, 0, run.out + run.err)
  t.match(run.out, /^run 1\/1 seed soak-4a219f9f\.21: ok/)
})

t.test('seed merge1.3: a customer whose revocation meets the hub\'s database locked (503 DATABASE_BUSY) sends it again after its Retry-After', async t => {
  // The app gave up at the first 503, and the run stopped as if the fleet had not recovered; the hub had changed nothing.
  const run = await sim().run('fault', '--seed', 'merge1.3', '--runs', '1')
  t.equal(run.code, 0, run.out + run.err)
  t.match(run.out, /^run 1\/1 seed merge1\.3: ok.*db-busy/)
})

t.test('seed merge2.3: a customer revoking while the hub restarts after a kill mid-anchor tries again until it listens', async t => {
  // hub-kill-anchor kills the hub whenever its anchoring transaction goes out, between payments too; the
  // revocation met the port closed (ECONNREFUSED: never received) and the run stopped.
  const run = await sim().run('fault', '--seed', 'merge2.3', '--runs', '1')
  t.equal(run.code, 0, run.out + run.err)
  t.match(run.out, /^run 1\/1 seed merge2\.3: ok.*hub-kill-anchor 1/)
})
