// A plain aedes broker on a loopback port for the LoRa tests (no PayAll ACL: a LoRaWAN network
// server's broker is not the hub's), and a subscriber that lets a test await the next message.

import { createServer, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import { connectAsync, type MqttClient } from 'mqtt'

export interface LoopbackBroker {
  readonly url: string
  close(): Promise<void>
}

export async function startLoopbackBroker(): Promise<LoopbackBroker> {
  const { Aedes } = await import('aedes')
  const aedes = await Aedes.createBroker()
  const sockets = new Set<Socket>()
  const server = createServer((socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
    aedes.handle(socket)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `mqtt://127.0.0.1:${port}`,
    async close() {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await new Promise<void>((resolve) => aedes.close(() => resolve()))
    },
  }
}

export interface ReceivedMessage {
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
