import t from 'tap'
import { TerminalEmitter } from '../../terminal/events'
import { logEvents } from '../../terminal/run'

t.test('a sync error repeated at every reconnect is written once, then counted', async t => {
  const events = new TerminalEmitter()
  const out: string[] = []
  logEvents(events, { out: text => { out.push(text) }, err: text => { out.push(text) } })
  events.emit('link', { online: false, atMs: 1 })
  for (let attempt = 0; attempt < 4; attempt++) events.emit('sync-error', { code: 'MQTT_ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:1883' })
  events.emit('sync-error', { code: 'ACK_TIMEOUT', message: 'no ack for records 1..2' })
  events.emit('sync-error', { code: 'MQTT_ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:1883' })
  events.emit('sync-error', { code: 'MQTT_ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:1883' })
  events.emit('link', { online: true, atMs: 2 })
  t.same(out, [
    'link down\n',
    'sync: MQTT_ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:1883\n',
    'sync: the same MQTT_ECONNREFUSED 3 more times\n',
    'sync: ACK_TIMEOUT: no ack for records 1..2\n',
    'sync: MQTT_ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:1883\n',
    'sync: the same MQTT_ECONNREFUSED 1 more time\n',
    'link up\n',
  ])
})

t.test('a receipt the printer did not print is written to the log with its code', async t => {
  const events = new TerminalEmitter()
  const err: string[] = []
  logEvents(events, { out: () => undefined, err: text => { err.push(text) } })
  events.emit('printer-error', { code: 'PAPER_OUT', message: 'the printer has no paper' })
  t.same(err, ['printer: PAPER_OUT: the printer has no paper\n'])
})
