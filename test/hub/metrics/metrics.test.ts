import t from 'tap'
import { startHub } from '../../../hub/server'
import { parseFleetOptions } from '../../../simulator/fleet/options'
import { runFleet } from '../../../simulator/fleet/run'
import { hubConfig, OPERATOR } from '../e2e/running-hub'
import { errorOf } from '../http/fixtures'
import { call, restHub } from '../users/fixtures'

/** The value of one sample of the exposition text: `name` with exactly `labels`, or undefined when there is none. */
function sample(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find(candidate => candidate.startsWith(`${name}${labels === '' ? '' : `{${labels}}`} `))
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1))
}

/** Every sample of `name` summed over its labels. */
function sum(text: string, name: string): number {
  return text.split('\n').filter(line => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .reduce((total, line) => total + Number(line.slice(line.lastIndexOf(' ') + 1)), 0)
}

t.test('GET /metrics answers an operator in Prometheus text; 401 without a token, 403 for anyone else', async t => {
  const hub = await restHub(t)
  const scraped = await call(hub.app, hub.operator, { method: 'GET', url: '/metrics' })
  t.equal(scraped.statusCode, 200)
  t.match(scraped.headers['content-type'], /^text\/plain; version=0\.0\.4/)
  t.match(scraped.body, '# TYPE payall_records_received_total counter')
  t.match(scraped.body, '# TYPE payall_settle_batch_duration_seconds histogram')
  t.equal(sample(scraped.body, 'payall_hub_faults_total', 'kind="storage"'), 0, 'each fault kind shows from the start')

  const anonymous = await hub.app.inject({ method: 'GET', url: '/metrics' })
  t.equal(anonymous.statusCode, 401)
  t.equal(errorOf(anonymous).code, 'UNAUTHORIZED')
  for (const user of [hub.customer, hub.owner]) {
    const refused = await call(hub.app, user, { method: 'GET', url: '/metrics' })
    t.equal(refused.statusCode, 403, 'only an operator reads the metrics')
  }
})

t.test('the gauges read the stores when scraped: the outbox and the batches waiting for the chain', async t => {
  const hub = await restHub(t)
  const scrape = async () => (await call(hub.app, hub.operator, { method: 'GET', url: '/metrics' })).body
  t.equal(sample(await scrape(), 'payall_notify_outbox_pending'), 0)
  for (const id of ['m1', 'm2']) {
    hub.services.outbox.enqueue(id, {
      channel: 'email', recipient: 'awa@shop.example', kind: 'order_placed', subject: 'Your order', body: 'Hello', sensitive: false, userId: null,
    }, hub.clock.now_ms())
  }
  t.equal(sample(await scrape(), 'payall_notify_outbox_pending'), 2, 'two messages wait')
  hub.context.db!.prepare(`UPDATE notification_outbox SET status = 'sent', done_at_ms = 1 WHERE status = 'pending'`).run()
  t.equal(sample(await scrape(), 'payall_notify_outbox_pending'), 0, 'read again at the next scrape')
  t.equal(sample(await scrape(), 'payall_anchor_batches_waiting'), 0)
})

t.test('after a fleet run the metrics port shows, without a token, the counts the ledger and the ingest store show', async t => {
  const hub = await startHub(hubConfig(t.testdir(), { metricsPort: 0 }))
  t.teardown(() => hub.stop())
  t.equal(new URL(hub.metricsUrl!).hostname, '127.0.0.1', 'the metrics port is bound to the loopback interface only')
  const options = parseFleetOptions([
    '--terminals', '2', '--customers', '3', '--payments', '16', '--offline-ratio', '0.5', '--double-spend-ratio', '0.1',
    '--seed', 'metrics', '--hub', hub.httpUrl,
  ])
  const report = await runFleet(options, { PAYALL_OPERATOR_EMAIL: OPERATOR.email, PAYALL_OPERATOR_PASSWORD: OPERATOR.password })
  t.same(report.invariants, { ok: true, failures: [] })

  const response = await fetch(`${hub.metricsUrl}/metrics`)
  t.equal(response.status, 200, 'no token needed on the metrics port')
  const text = await response.text()
  const count = async (sql: string) => (await hub.context.engine.get<{ n: number }>(sql.replace('count(*)', 'count(*) AS n')))!.n
  const settledByRecords = await count(`SELECT count(*) FROM transfers WHERE kind = 'offline_payment'`) - await count('SELECT count(*) FROM online_payments')
  t.ok(settledByRecords > 0, 'the fleet settled records')
  t.equal(sample(text, 'payall_records_settled_total'), settledByRecords, 'each payment the ledger settled from a record was acked settled once')
  t.equal(sample(text, 'payall_records_received_total'),
    sample(text, 'payall_records_settled_total')! + sample(text, 'payall_records_duplicate_total')! + sum(text, 'payall_records_rejected_total'),
    'every record received was answered')
  t.ok(sample(text, 'payall_records_received_total')! >= await count('SELECT count(*) FROM gateway_records'), 'every stored record was received')
  t.equal(sum(text, 'payall_hub_faults_total'), 0, 'no fault of the hub')
  t.ok(sum(text, 'payall_records_rejected_total') >= await count(`SELECT count(*) FROM gateway_records WHERE outcome = 'rejected'`),
    'every record stored as rejected was answered so')
  t.ok(sample(text, 'payall_settle_batch_duration_seconds_count')! > 0, 'the batches settled were timed')
  t.equal(sample(text, 'payall_verify_queue_jobs'), 0, 'no check is waiting once the fleet is done')
  t.equal(sample(text, 'payall_mqtt_clients_connected'), 1, 'the terminals have left: the hub\'s own client remains')
  t.equal(sample(text, 'payall_anchor_batches_waiting'), await count(`SELECT count(*) FROM anchor_batches WHERE status <> 'anchored'`))
  t.equal((await fetch(`${hub.metricsUrl}/ledger/verify`)).status, 404, 'the metrics port serves nothing else')
})
