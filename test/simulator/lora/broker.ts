// The LoRa tests' broker (a plain aedes on a loopback port, as the simulator starts one for its
// network server), and a subscriber that lets a test await the next message.

import { connectAsync, type MqttClient } from 'mqtt'

export { startLoopbackBroker, type LoopbackBroker } from '../../../simulator/lora/loopback-broker'

interface ReceivedMessage {
  readonly topic: string
  readonly json: unknown
}

export interface Subscriber {
  readonly client: MqttClient
  /** The next message on any subscribed topic, in arrival order. */
  next(): Promise<ReceivedMessage>
  close(): Promise<void>
}

export async function subscribe(url: string, filters: string[]): Promise<Subscriber> {
  const client = await connectAsync(url, { reconnectPeriod: 0 })
  const inbox: ReceivedMessage[] = []
  const waiting: Array<(message: ReceivedMessage) => void> = []
  client.on('message', (topic, payload) => {
    const message = { topic, json: JSON.parse(payload.toString('utf8')) as unknown }
    const waiter = waiting.shift()
    if (waiter !== undefined) waiter(message)
    else inbox.push(message)
  })
  await client.subscribeAsync(filters, { qos: 1 })
  return {
    client,
    next() {
      const message = inbox.shift()
      if (message !== undefined) return Promise.resolve(message)
      return new Promise((resolve) => waiting.push(resolve))
    },
    close: () => client.endAsync(true),
  }
}
