// MQTT topic filter matching (MQTT 3.1.1 §4.7) and shared-subscription filters, for routing a
// received message to the handler that subscribed to it.

import { MqttError } from './errors'

/**
 * True when `topic` (a topic name) matches `filter`: '+' is exactly one level, a trailing '#' is
 * any number of levels including none ('a/#' matches 'a'). Topics starting with '$' match only
 * filters that do not start with a wildcard [MQTT-4.7.2-1].
 */
export function topicMatchesFilter(filter: string, topic: string): boolean {
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false
  const filterLevels = filter.split('/')
  const topicLevels = topic.split('/')
  for (let index = 0; index < filterLevels.length; index++) {
    const level = filterLevels[index]!
    if (level === '#') return index === filterLevels.length - 1
    if (index >= topicLevels.length) return false
    if (level !== '+' && level !== topicLevels[index]) return false
  }
  return filterLevels.length === topicLevels.length
}

/** `$share/<group>/<filter>`: brokers that support shared subscriptions give each message to one member of the group. */
export function sharedSubscriptionFilter(group: string, filter: string): string {
  if (typeof group !== 'string' || group.length === 0 || /[/+#]/.test(group)) {
    throw new MqttError('INVALID_OPTIONS', `a share group is a non-empty name without '/', '+' or '#': ${JSON.stringify(group)}`)
  }
  return `$share/${group}/${filter}`
}
