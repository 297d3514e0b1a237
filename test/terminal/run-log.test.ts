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
    'sync: connect ECONNREFUSED 127.0.0.1:1883 [MQTT_ECONNREFUSED]\n',
    'sync: the same 3 more times [MQTT_ECONNREFUSED]\n',
    'sync: no ack for records 1..2 [ACK_TIMEOUT]\n',
    'sync: connect ECONNREFUSED 127.0.0.1:1883 [MQTT_ECONNREFUSED]\n',
    'sync: the same 1 more time [MQTT_ECONNREFUSED]\n',
    'link up\n',
  ])
})
