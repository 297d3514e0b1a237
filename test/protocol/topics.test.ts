import t from 'tap'
import fc from 'fast-check'
import { expectOnlyProtocolError, mutatedText } from '../helpers/mutations'
import { euiFromBytes } from '../../protocol/eui'
import {
  GATEWAY_PUBLISH_KINDS,
  GATEWAY_SUBSCRIBE_KINDS,
  GATEWAY_TOPIC_KINDS,
  HUB_SUBSCRIPTION_FILTERS,
  REVOCATIONS_TOPIC, UPDATE_KEY_TOPIC,
  TOPIC_MAX_CHARS,
  TOPIC_PREFIX,
  gatewayMayPublish,
  gatewayMayRetain,
  gatewayMaySubscribe,
  gatewaySubscriptionTopics,
  gatewayTopic,
  hubTopicFilter,
  parseTopic,
  type GatewayTopicKind,
} from '../../protocol/topics'

const SEED = 20240607
const EUI = '0011223344AABBCC'
const OTHER = '0011223344AABBCD'

const eui = fc.uint8Array({ minLength: 8, maxLength: 8 }).map(euiFromBytes)
const kind = fc.constantFrom(...GATEWAY_TOPIC_KINDS)
const validTopic = fc.oneof(
  fc.tuple(eui, kind).map(([value, topicKind]) => gatewayTopic(value, topicKind)),
  fc.constant(REVOCATIONS_TOPIC),
)

const confusing = fc.constantFrom('/', '//', '+', '#', 'a', 'F', 'v2', 'gw', '$', ' ', '\u0000', 'é', 'records')

t.test('builds every gateway topic under the versioned prefix', async (t) => {
  t.equal(TOPIC_PREFIX, 'payall/v1')
  t.equal(gatewayTopic(EUI, 'records'), 'payall/v1/gw/0011223344AABBCC/records')
  t.equal(gatewayTopic(EUI, 'acks'), 'payall/v1/gw/0011223344AABBCC/acks')
  t.equal(gatewayTopic(EUI, 'config'), 'payall/v1/gw/0011223344AABBCC/config')
  t.equal(gatewayTopic(EUI, 'online/request'), 'payall/v1/gw/0011223344AABBCC/online/request')
  t.equal(gatewayTopic(EUI, 'online/response'), 'payall/v1/gw/0011223344AABBCC/online/response')
  t.equal(gatewayTopic(EUI, 'commitments'), 'payall/v1/gw/0011223344AABBCC/commitments')
  t.equal(gatewayTopic(EUI, 'proofs'), 'payall/v1/gw/0011223344AABBCC/proofs')
  t.equal(gatewayTopic(EUI, 'status'), 'payall/v1/gw/0011223344AABBCC/status')
  t.equal(REVOCATIONS_TOPIC, 'payall/v1/revocations')
})

t.test('builds topics with the canonical EUI whatever spelling it is given', async (t) => {
  t.equal(gatewayTopic('00:11:22:33:44:aa:bb:cc', 'acks'), 'payall/v1/gw/0011223344AABBCC/acks')
})

t.test('refuses to build a topic for a bad EUI or an unknown kind', async (t) => {
  t.throws(() => gatewayTopic('0011', 'records'), { code: 'BAD_EUI' })
  t.throws(() => gatewayTopic('+', 'records'), { code: 'BAD_EUI' })
  t.throws(() => gatewayTopic(EUI, 'online' as GatewayTopicKind), { code: 'BAD_TOPIC' })
  t.throws(() => gatewayTopic(EUI, '#' as GatewayTopicKind), { code: 'BAD_TOPIC' })
})

t.test('parses what it builds, for every kind and EUI', async (t) => {
  t.same(parseTopic(REVOCATIONS_TOPIC), { kind: 'revocations' })
  for (const topicKind of GATEWAY_TOPIC_KINDS) t.same(parseTopic(gatewayTopic(EUI, topicKind)), { kind: topicKind, eui: EUI })
  fc.assert(
    fc.property(eui, kind, (value, topicKind) => {
      const parsed = parseTopic(gatewayTopic(value, topicKind))
      return parsed.kind === topicKind && 'eui' in parsed && parsed.eui === value
    }),
    { seed: SEED, numRuns: 1000 },
  )
})

t.test('rejects malformed topics with BAD_TOPIC', async (t) => {
  const bad = [
    '',
    'payall',
    'payall/v1',
    'payall/v1/',
    'payall/v2/gw/0011223344AABBCC/records', // other version
    'PayAll/v1/gw/0011223344AABBCC/records',
    'x/payall/v1/gw/0011223344AABBCC/records',
    '/payall/v1/gw/0011223344AABBCC/records',
    'payall/v1/gw/0011223344AABBCC/records/', // trailing level
    'payall/v1/gw/0011223344AABBCC/records/extra',
    'payall/v1/gw/0011223344AABBCC', // missing kind
    'payall/v1/gw/0011223344AABBCC/',
    'payall/v1/gw//records',
    'payall/v1/gw',
    'payall/v1/gw/0011223344AABBCC/online', // half a kind
    'payall/v1/gw/0011223344AABBCC/online/other',
    'payall/v1/gw/0011223344AABBCC/unknown',
    'payall/v1/gw/0011223344aabbcc/records', // EUI must be canonical uppercase
    'payall/v1/gw/00-11-22-33-44-AA-BB-CC/records',
    'payall/v1/gw/0011223344AABB/records',
    'payall/v1/gw/+/records', // wildcards
    'payall/v1/gw/#',
    'payall/v1/gw/0011223344AABBCC/+',
    'payall/v1/gw/0011223344AABBCC/records#',
    '#',
    'payall/v1/revocations/',
    'payall/v1/revocations/extra',
    'payall/v1/gw/0011223344AABBCC/revocations',
    'payall/v1/gw/0011223344AABBCC/records\u0000',
    `payall/v1/gw/0011223344AABBCC/records/${'x'.repeat(TOPIC_MAX_CHARS)}`, // over-long
  ]
  for (const topic of bad) t.throws(() => parseTopic(topic), { code: 'BAD_TOPIC' }, JSON.stringify(topic.slice(0, 60)))
  t.throws(() => parseTopic(undefined as unknown as string), { code: 'BAD_TOPIC' })
})

t.test('lets a gateway publish only its own records, online requests, commitments, status and proof requests', async (t) => {
  for (const topicKind of GATEWAY_TOPIC_KINDS) {
    const allowed = (GATEWAY_PUBLISH_KINDS as readonly string[]).includes(topicKind)
    t.equal(gatewayMayPublish(EUI, gatewayTopic(EUI, topicKind)), allowed, `own ${topicKind}`)
    t.equal(gatewayMayPublish(EUI, gatewayTopic(OTHER, topicKind)), false, `other's ${topicKind}`)
  }
  t.same([...GATEWAY_PUBLISH_KINDS].sort(), ['commitments', 'online/request', 'proofs/request', 'records', 'revocations/request', 'status'])
  t.equal(gatewayMayPublish(EUI, REVOCATIONS_TOPIC), false)
  t.equal(gatewayMayPublish('00:11:22:33:44:aa:bb:cc', gatewayTopic(EUI, 'records')), true)
})

t.test('lets a gateway leave a retained message only on its own status topic (its presence and last will)', async (t) => {
  for (const topicKind of GATEWAY_TOPIC_KINDS) {
    t.equal(gatewayMayRetain(EUI, gatewayTopic(EUI, topicKind)), topicKind === 'status', `own ${topicKind}`)
    t.equal(gatewayMayRetain(EUI, gatewayTopic(OTHER, topicKind)), false, `other's ${topicKind}`)
  }
  t.equal(gatewayMayRetain(EUI, REVOCATIONS_TOPIC), false)
  t.equal(gatewayMayRetain(EUI, 'payall/v1/gw/+/status'), false)
  t.equal(gatewayMayRetain('not-an-eui', gatewayTopic(EUI, 'status')), false)
})

t.test('refuses publishing to malformed topics and from a malformed identity', async (t) => {
  t.equal(gatewayMayPublish(EUI, 'payall/v1/gw/+/records'), false)
  t.equal(gatewayMayPublish(EUI, 'payall/v1/gw/0011223344aabbcc/records'), false)
  t.equal(gatewayMayPublish(EUI, 'payall/v1/gw/0011223344AABBCC/records/x'), false)
  t.equal(gatewayMayPublish('not-an-eui', gatewayTopic(EUI, 'records')), false)
  t.equal(gatewayMayPublish('', ''), false)
})

t.test('lets a gateway subscribe only to its own acks, config, online responses, proofs, revocation catch-ups and the revocations', async (t) => {
  for (const topicKind of GATEWAY_TOPIC_KINDS) {
    const allowed = (GATEWAY_SUBSCRIBE_KINDS as readonly string[]).includes(topicKind)
    t.equal(gatewayMaySubscribe(EUI, gatewayTopic(EUI, topicKind)), allowed, `own ${topicKind}`)
    t.equal(gatewayMaySubscribe(EUI, gatewayTopic(OTHER, topicKind)), false, `other's ${topicKind}`)
  }
  t.same([...GATEWAY_SUBSCRIBE_KINDS].sort(), ['acks', 'config', 'online/response', 'proofs', 'revocations/catch-up'])
  t.equal(gatewayMaySubscribe(EUI, REVOCATIONS_TOPIC), true)
  t.equal(gatewayMaySubscribe(EUI, UPDATE_KEY_TOPIC), true)
  t.equal(gatewayMayPublish(EUI, UPDATE_KEY_TOPIC), false, 'the update key is the hub\'s to publish')
  t.same(gatewaySubscriptionTopics(EUI), [
    'payall/v1/gw/0011223344AABBCC/acks',
    'payall/v1/gw/0011223344AABBCC/config',
    'payall/v1/gw/0011223344AABBCC/online/response',
    'payall/v1/gw/0011223344AABBCC/proofs',
    'payall/v1/gw/0011223344AABBCC/revocations/catch-up',
    'payall/v1/revocations',
    'payall/v1/update-key',
  ])
})

t.test('refuses wildcard filters, which would reach other gateways or forbidden kinds', async (t) => {
  const filters = [
    '#',
    '+/#',
    'payall/#',
    'payall/v1/#',
    'payall/v1/+',
    'payall/v1/gw/#',
    'payall/v1/gw/+/acks',
    'payall/v1/gw/+/+',
    'payall/v1/gw/0011223344AABBCC/#',
    'payall/v1/gw/0011223344AABBCC/+',
    'payall/v1/gw/0011223344AABBCC/online/+',
    'payall/v1/gw/0011223344AABBCC/online/#',
    'payall/v1/gw/0011223344AABBCC/acks/#',
    '$share/group/payall/v1/gw/0011223344AABBCC/acks',
    'payall/v1/gw/0011223344aabbcc/acks',
  ]
  for (const filter of filters) t.equal(gatewayMaySubscribe(EUI, filter), false, filter)
  t.equal(gatewayMaySubscribe('bogus', REVOCATIONS_TOPIC), false)
})

t.test('gives the hub one filter per kind gateways publish', async (t) => {
  t.same(HUB_SUBSCRIPTION_FILTERS, [
    'payall/v1/gw/+/records',
    'payall/v1/gw/+/online/request',
    'payall/v1/gw/+/commitments',
    'payall/v1/gw/+/status',
    'payall/v1/gw/+/proofs/request',
    'payall/v1/gw/+/revocations/request',
  ])
  t.equal(hubTopicFilter('acks'), 'payall/v1/gw/+/acks')
  t.throws(() => hubTopicFilter('nope' as GatewayTopicKind), { code: 'BAD_TOPIC' })
  for (const filter of HUB_SUBSCRIPTION_FILTERS) {
    const topic = filter.replace('+', EUI)
    t.ok(gatewayMayPublish(EUI, topic), `${topic} is a gateway publication`)
  }
})

t.test('fuzzed topics only ever raise ProtocolError BAD_TOPIC, and the ACL never throws', async (t) => {
  const topics = fc.oneof(
    fc.string({ maxLength: 300 }),
    fc.string({ unit: 'grapheme', maxLength: 80 }),
    mutatedText(validTopic, confusing),
  )
  fc.assert(
    fc.property(topics, eui, (topic, gateway) => {
      expectOnlyProtocolError('BAD_TOPIC', () => {
        const parsed = parseTopic(topic)
        const rebuilt = parsed.kind === 'revocations' ? REVOCATIONS_TOPIC
          : parsed.kind === 'update-key' ? UPDATE_KEY_TOPIC : gatewayTopic(parsed.eui, parsed.kind)
        if (rebuilt !== topic) throw new Error(`parsed ${topic} but it rebuilds as ${rebuilt}`)
      })
      const mayPublish = gatewayMayPublish(gateway, topic)
      const maySubscribe = gatewayMaySubscribe(gateway, topic)
      if (mayPublish && maySubscribe) throw new Error(`${topic} is both published and subscribed by a gateway`)
      if (mayPublish && !topic.startsWith(`payall/v1/gw/${gateway}/`)) throw new Error(`${gateway} may publish ${topic}`)
    }),
    { seed: SEED, numRuns: 5000 },
  )
  fc.assert(
    fc.property(fc.anything(), fc.anything(), (first, second) => {
      expectOnlyProtocolError('BAD_TOPIC', () => parseTopic(first as string))
      return typeof gatewayMayPublish(first as string, second as string) === 'boolean' &&
        typeof gatewayMaySubscribe(first as string, second as string) === 'boolean'
    }),
    { seed: SEED, numRuns: 2000 },
  )
  t.pass('no other exception')
})
