import t from 'tap'
import { toHex } from '../../../protocol/bytes'
import { ManualClock } from '../../../protocol/clock'
import { startHub } from '../../../hub/server'
import { TEST_STORE } from '../../helpers/hub-store'
import { customerWithVoucher, hubConfig, OPERATOR, Rest } from '../e2e/running-hub'

const SWEEP_INTERVAL_MS = 60_000

// The schedule on a manual clock: on PostgreSQL a sweep's queries are on the wire while the test moves the clock, so
// when the next sweep is due depends on the network; the sweep's work itself is tested on both stores (vouchers).
const scheduleOnly = TEST_STORE === 'postgres' ? 'a schedule on a manual clock, with the queries on SQLite' : false

t.test('a running hub sweeps every minute on its clock: a hold is given back at the first sweep past its upload deadline', { skip: scheduleOnly }, async t => {
  const clock = new ManualClock(Date.now())
  const hub = await startHub(hubConfig(t.testdir()), { clock })
  t.teardown(() => hub.stop())
  const operator = await new Rest(hub.httpUrl).as(OPERATOR.email, OPERATOR.password)
  const { voucher } = await customerWithVoucher(operator, 'awa@phone.example', 100_000, '50000')
  const voucherId = toHex(voucher.voucherId)
  const hold = async () => (await hub.context.ledger.hold(voucherId))!

  const { uploadDeadlineAtMs } = await hold()
  // A synchronous jump to the deadline: each timer due on the way fires once, and the sweep it starts runs
  // at the time reached; the sweeps then come every minute from there.
  clock.advance(uploadDeadlineAtMs - clock.now_ms())
  await clock.run(0)
  t.match(await hold(), { status: 'active', releasedMinor: 0 }, 'at the deadline the hold is still kept')
  await clock.run(SWEEP_INTERVAL_MS - 1)
  t.match(await hold(), { status: 'active', releasedMinor: 0 }, 'past it, nothing moves before the next sweep')
  await clock.run(1)
  t.match(await hold(), { status: 'released', releasedMinor: 50_000 }, 'the next sweep gives the hold back')
})
