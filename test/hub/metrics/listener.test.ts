import t from 'tap'
import pino from 'pino'
import { HubMetrics } from '../../../hub/metrics/metrics'
import { startMetricsListener } from '../../../hub/metrics/listener'
import { freePort } from '../../../simulator/anvil'
import { portIsFree, withServersOnPipes } from '../../helpers/leaks'

t.test('a start that fails once the listener listens closes it again: the port is free and the error reaches the caller', async t => {
  const port = await freePort()
  await t.rejects(withServersOnPipes(() => startMetricsListener(new HubMetrics(), port, pino({ level: 'silent' }))), { message: /no TCP address/ })
  t.ok(await portIsFree(port), 'nothing listens on the port')
})

t.test('a started listener serves the metrics on the port asked, and frees it when closed', async t => {
  const port = await freePort()
  const listener = await startMetricsListener(new HubMetrics(), port, pino({ level: 'silent' }))
  t.equal(listener.url, `http://127.0.0.1:${port}`)
  t.equal((await fetch(`${listener.url}/metrics`)).status, 200)
  await listener.close()
  t.ok(await portIsFree(port))
})
