import t from 'tap'
import type { FaultRunResult } from '../../simulator/fault/run'
import { sim } from './sim-cli'

// Seeds on which the fault simulation found a bug, played again after its fix. Each failed before it. The hub's and
// the radio's (fault-regressions.test.ts has the others): two files, so a loaded machine runs them side by side.

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

t.test('seed radio.3 (--faults radio): a modem that answered AT_NO_NETWORK_JOINED is joined again, and the gateway reports over LoRa again', async t => {
  // A stray AT_NO_NETWORK_JOINED came as the modem's answer to AT+SEND: the driver took the session
  // as over (LORA_NOT_JOINED, typed), and the terminal, which joins only as it starts, never
  // reported over LoRa again; the run's last report failed NOT_JOINED (lora-reports). The reporter
  // now joins a modem that lost its session before its next report.
  const run = await sim().run('fault', '--seed', 'radio.3', '--runs', '1', '--faults', 'radio', '--json')
  const [result] = (JSON.parse(run.out) as { runs: FaultRunResult[] }).runs
  t.equal(run.code, 0, run.err + JSON.stringify(result?.failures))
  t.ok(result!.faults.events.some(event => /"AT_NO_NETWORK_JOINED"; LORA_NOT_JOINED: /.test(event.detail)), 'the stray reply came, and was a typed error')
})

t.test('seed radio.2 (--faults radio): the hub takes the first report of a modem that joined again after a session of one frame', async t => {
  // The gateway's first session was heard once (frame counter 0); the modem lost it (a stray
  // AT_NO_NETWORK_JOINED) and joined again, and its next report came with counter 0 again. The hub
  // took a new session only from a lower counter, and refused it as OLD_FRAME_COUNTER: the hub never
  // showed the gateway's last report (lora-reports). The same counter with a later frame time is a new session now.
  const run = await sim().run('fault', '--seed', 'radio.2', '--runs', '1', '--faults', 'radio')
  t.equal(run.code, 0, run.out + run.err)
  t.match(run.out, /^run 1\/1 seed radio.2: ok/)
})
