import t from 'tap'
import type { FaultRunResult } from '../../simulator/fault/run'
import { sim } from './sim-cli'

// Seeds on which the fault simulation found a bug, played again after its fix. Each failed before it. One file per
// kind of fault, each a few runs, so that a loaded machine runs them side by side and none nears tap's deadline:
// the LoRa modem's.

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
