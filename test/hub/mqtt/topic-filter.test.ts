import t from 'tap'
import { sharedSubscriptionFilter, topicMatchesFilter } from '../../../hub/mqtt/topic-filter'

t.test('matches single-level and multi-level wildcards as MQTT 3.1.1 §4.7 says', async (t) => {
  const cases: Array<[string, string, boolean]> = [
    ['payall/v1/gw/+/records', 'payall/v1/gw/00112233445566A1/records', true],
    ['payall/v1/gw/+/records', 'payall/v1/gw/00112233445566A1/acks', false],
    ['payall/v1/gw/+/records', 'payall/v1/gw/records', false],
    ['payall/v1/gw/+/online/request', 'payall/v1/gw/00112233445566A1/online/request', true],
    ['payall/v1/#', 'payall/v1', true],
    ['payall/v1/#', 'payall/v1/revocations', true],
    ['payall/v1/#', 'payall/v2/revocations', false],
    ['#', 'anything/at/all', true],
    ['+', '', true],
    ['+/+', '/finance', true],
    ['a/b', 'a/b', true],
    ['a/b', 'a/b/c', false],
    ['a/b/c', 'a/b', false],
    ['#', '$SYS/broker/heartbeat', false],
    ['+/broker/heartbeat', '$SYS/broker/heartbeat', false],
    ['$SYS/#', '$SYS/broker/heartbeat', true],
  ]
  for (const [filter, topic, expected] of cases) {
    t.equal(topicMatchesFilter(filter, topic), expected, `${filter} ~ ${topic}`)
  }
})

t.test('builds a shared subscription filter and refuses a group name with separators or wildcards', async (t) => {
  t.equal(sharedSubscriptionFilter('hubs', 'payall/v1/gw/+/records'), '$share/hubs/payall/v1/gw/+/records')
  for (const group of ['', 'a/b', 'a+', '#']) {
    t.throws(() => sharedSubscriptionFilter(group, 'x'), { code: 'INVALID_OPTIONS' }, JSON.stringify(group))
  }
})
