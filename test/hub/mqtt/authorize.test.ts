import t from 'tap'
import { REVOCATIONS_TOPIC, gatewayTopic } from '../../../protocol/topics'
import { mayPublish, maySubscribe } from '../../../hub/mqtt/authorize'
import type { BrokerIdentity } from '../../../hub/mqtt/authenticate'
import { GATEWAY_A, GATEWAY_B } from './fixtures'

const A: BrokerIdentity = { kind: 'gateway', eui: GATEWAY_A.eui }
const HUB: BrokerIdentity = { kind: 'hub' }

t.test('a gateway publishes only its own upward topics, retained only its own presence', async (t) => {
  t.ok(mayPublish(A, gatewayTopic(GATEWAY_A.eui, 'records'), false))
  t.ok(mayPublish(A, gatewayTopic(GATEWAY_A.eui, 'status'), false))
  t.ok(mayPublish(A, gatewayTopic(GATEWAY_A.eui, 'status'), true), 'its presence, retained, and its last will there')
  t.notOk(mayPublish(A, gatewayTopic(GATEWAY_B.eui, 'status'), true), 'another gateway\'s presence')
  t.notOk(mayPublish(A, gatewayTopic(GATEWAY_A.eui, 'records'), true), 'retained')
  t.notOk(mayPublish(A, gatewayTopic(GATEWAY_B.eui, 'records'), false), 'another gateway')
  t.notOk(mayPublish(A, gatewayTopic(GATEWAY_A.eui, 'acks'), false), 'a downward topic')
  t.notOk(mayPublish(A, REVOCATIONS_TOPIC, false))
  t.notOk(mayPublish(A, '$SYS/x', false))
})

t.test('a gateway subscribes only to its own downward topics and the revocations', async (t) => {
  t.ok(maySubscribe(A, gatewayTopic(GATEWAY_A.eui, 'acks')))
  t.ok(maySubscribe(A, gatewayTopic(GATEWAY_A.eui, 'config')))
  t.ok(maySubscribe(A, REVOCATIONS_TOPIC))
  for (const filter of [
    gatewayTopic(GATEWAY_B.eui, 'acks'),
    gatewayTopic(GATEWAY_A.eui, 'records'),
    '#',
    'payall/v1/#',
    'payall/v1/gw/+/acks',
    `payall/v1/gw/${GATEWAY_A.eui}/#`,
    `payall/v1/gw/${GATEWAY_A.eui}/+`,
    '$SYS/#',
    `$share/g/payall/v1/gw/${GATEWAY_A.eui}/acks`,
  ]) {
    t.notOk(maySubscribe(A, filter), filter)
  }
})

t.test('the hub uses the whole payall/v1 tree and nothing outside it', async (t) => {
  t.ok(mayPublish(HUB, gatewayTopic(GATEWAY_A.eui, 'config'), true))
  t.ok(mayPublish(HUB, REVOCATIONS_TOPIC, true))
  t.notOk(mayPublish(HUB, '$SYS/x', false))
  t.notOk(mayPublish(HUB, 'payall/v2/x', false))
  t.ok(maySubscribe(HUB, 'payall/v1/gw/+/records'))
  t.ok(maySubscribe(HUB, 'payall/v1/#'))
  t.notOk(maySubscribe(HUB, '#'))
  t.notOk(maySubscribe(HUB, '$share/hubs/payall/v1/gw/+/records'), 'aedes has no shared subscriptions')
})
