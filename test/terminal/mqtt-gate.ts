// A TCP relay between a terminal and its broker that can hold back chosen messages from the hub:
// the broker's PUBLISH packets whose topic and payload a test names are kept (in order) until it
// releases them, while everything else flows. A test pins an instant, e.g. "the hub has acked,
// the terminal does not know yet", without guessing at timing. Speaks MQTT 3.1.1 framing, as
// the terminal does.

import { createServer, connect, type Server, type Socket } from 'node:net'

export interface HeldPublish {
  readonly topic: string
  readonly payload: Buffer
}

type Matcher = (publish: HeldPublish) => boolean

const PUBLISH = 3
const REMAINING_LENGTH_BYTES_MAX = 4
/** Held packets per connection: a test holds a few acks or lists, never a stream. */
const HELD_MAX = 64

interface Frame {
  readonly bytes: Buffer
  readonly publish: HeldPublish | undefined
}

/** Splits a byte stream into MQTT control packets. */
class FrameSplitter {
  private buffered = Buffer.alloc(0)

  push(chunk: Buffer): Frame[] {
    this.buffered = Buffer.concat([this.buffered, chunk])
    const frames: Frame[] = []
    for (;;) {
      const frame = this.next()
      if (frame === undefined) return frames
      frames.push(frame)
    }
  }

  private next(): Frame | undefined {
    const buffer = this.buffered
    let remaining = 0
    let multiplier = 1
    let index = 1
    for (;; index++) {
      if (index > REMAINING_LENGTH_BYTES_MAX) throw new Error('an MQTT remaining length has at most 4 bytes')
      if (index >= buffer.length) return undefined
      const byte = buffer[index]!
      remaining += (byte & 0x7f) * multiplier
      multiplier *= 128
      if ((byte & 0x80) === 0) break
    }
    const total = index + 1 + remaining
    if (buffer.length < total) return undefined
    const bytes = buffer.subarray(0, total)
    this.buffered = buffer.subarray(total)
    return { bytes, publish: publishOf(bytes, index + 1) }
  }
}

function publishOf(bytes: Buffer, bodyStart: number): HeldPublish | undefined {
  const header = bytes[0]!
  if (header >> 4 !== PUBLISH) return undefined
  const qos = (header >> 1) & 0x03
  const topicLength = bytes.readUInt16BE(bodyStart)
  const topic = bytes.toString('utf8', bodyStart + 2, bodyStart + 2 + topicLength)
  const payloadStart = bodyStart + 2 + topicLength + (qos > 0 ? 2 : 0)
  return { topic, payload: bytes.subarray(payloadStart) }
}

interface Connection {
  readonly client: Socket
  readonly held: Buffer[]
}

export class MqttGate {
  private server: Server | undefined
  private readonly connections = new Set<Connection>()
  private matches: Matcher = () => false
  private waiters: Array<{ matches: Matcher; resolve(publish: HeldPublish): void }> = []
  port = 0

  constructor(private readonly targetHost: string, private readonly targetPort: number) {}

  static forUrl(url: string): MqttGate {
    const target = new URL(url)
    return new MqttGate(target.hostname, Number(target.port))
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`
  }

  async start(): Promise<void> {
    const server = createServer(client => this.relay(client))
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, '127.0.0.1', () => resolve())
    })
    const address = server.address()
    if (address !== null && typeof address === 'object') this.port = address.port
    this.server = server
  }

  /** Drops every connection and stops listening. */
  async close(): Promise<void> {
    const server = this.server
    this.server = undefined
    for (const { client } of this.connections) client.destroy()
    if (server !== undefined) await new Promise<void>(resolve => server.close(() => resolve()))
  }

  /** From now on (new connections too), the hub's publishes that `matches` are held until release(). */
  hold(matches: Matcher): void {
    this.matches = matches
  }

  /** Sends every held publish on, in order, and holds nothing more. */
  release(): void {
    this.matches = () => false
    for (const connection of this.connections) {
      for (const bytes of connection.held.splice(0)) connection.client.write(bytes)
    }
  }

  /** Resolves once a publish that `matches` is held. */
  nextHeld(matches: Matcher = () => true): Promise<HeldPublish> {
    return new Promise(resolve => this.waiters.push({ matches, resolve }))
  }

  private relay(client: Socket): void {
    const upstream = connect(this.targetPort, this.targetHost)
    const connection: Connection = { client, held: [] }
    this.connections.add(connection)
    const splitter = new FrameSplitter()
    upstream.on('data', (chunk: Buffer) => {
      for (const frame of splitter.push(chunk)) {
        if (frame.publish !== undefined && this.matches(frame.publish)) this.keep(connection, frame.bytes, frame.publish)
        else client.write(frame.bytes)
      }
    })
    client.pipe(upstream)
    for (const socket of [client, upstream]) socket.on('error', () => socket.destroy())
    client.on('close', () => {
      upstream.destroy()
      this.connections.delete(connection)
    })
    upstream.on('close', () => client.destroy())
  }

  private keep(connection: Connection, bytes: Buffer, publish: HeldPublish): void {
    if (connection.held.length >= HELD_MAX) throw new Error(`the gate holds at most ${HELD_MAX} packets per connection`)
    connection.held.push(Buffer.from(bytes))
    const waiting = this.waiters
    this.waiters = []
    for (const waiter of waiting) {
      if (waiter.matches(publish)) waiter.resolve(publish)
      else this.waiters.push(waiter)
    }
  }
}
