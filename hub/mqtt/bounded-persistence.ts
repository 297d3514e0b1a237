// The embedded broker's persistence: aedes-persistence's memory store keeps subscriptions, wills
// and incoming QoS 2 state; the two parts that grow with clients who stay away are kept here,
// under bounds: the queues of QoS 1/2 messages for persistent sessions, and retained messages.
//
// Past a queue bound the oldest queued messages go: that session's own past its bound, anyone's
// past the total. For a client that is connected they were already sent and only lose their
// redelivery after a reconnect; for one that is away they are lost to it, and it recovers by its
// own catch-up (DESIGN: records are re-sent until acked, retained state comes on subscribe,
// proofs are asked for again).

import createMemoryPersistence from 'aedes-persistence'
import { Readable } from 'node:stream'
import { assert } from '../../protocol/errors'
import { isEui } from '../../protocol/eui'
import { MqttError, requirePositiveInteger } from './errors'

export interface QueueBounds {
  /** Messages queued for one gateway: waiting for it to come back, or sent and not yet acknowledged. */
  messagesPerGateway_max: number
  /** Topic and payload bytes queued for one gateway. */
  bytesPerGateway_max: number
  /**
   * The hub's own session, which every gateway publishes to: the hub client acknowledges a message
   * only once handled, and after an overflow of its own inbound queue it reconnects to have the
   * rest redelivered (hub-client.ts), so its bound sits above that queue's.
   */
  hubMessages_max: number
  hubBytes_max: number
  /** Messages queued for all sessions together. */
  messages_max: number
  /** Payload bytes held by all queues, each payload counted once however many sessions it is queued for. */
  bytes_max: number
}

export interface RetainedBounds {
  /** Topics with a retained message. */
  messages_max: number
  /** Topic and payload bytes of all retained messages. */
  bytes_max: number
}

export const QUEUE_BOUNDS_DEFAULT: QueueBounds = Object.freeze({
  messagesPerGateway_max: 1_000,
  bytesPerGateway_max: 4 * 1024 * 1024,
  hubMessages_max: 10_000,
  hubBytes_max: 64 * 1024 * 1024,
  messages_max: 200_000,
  bytes_max: 128 * 1024 * 1024,
})

const RETAINED_BOUNDS_DEFAULT: RetainedBounds = Object.freeze({
  messages_max: 100_000,
  bytes_max: 64 * 1024 * 1024,
})

export type PersistenceEvent =
  /** One publish pushed older messages out of queues: of `clients` clients, `messages` in all. */
  | {
      readonly kind: 'queue-dropped'
      readonly bound: 'client' | 'total'
      readonly topic: string
      readonly clients: number
      readonly messages: number
    }
  /** A retained message was not retained (the previous one on its topic, if any, stays); subscribers connected now still got it. */
  | { readonly kind: 'retained-refused'; readonly topic: string; readonly bytes: number }

export interface QueueStats {
  readonly messages: number
  readonly bytes: number
}

export interface PersistenceStats {
  /** Everything queued now: messages, and payload bytes each counted once. */
  readonly queued: QueueStats
  /** Messages dropped for a bound since the broker started. */
  readonly dropped: number
  readonly retained: QueueStats
}

/** What aedes queues: a PUBLISH, or the PUBREL that replaces it halfway through QoS 2. */
export interface QueuedPacket {
  cmd: string
  topic?: string
  payload?: Uint8Array | string
  retain?: boolean
  qos?: number
  messageId?: number
  brokerId?: string
  brokerCounter?: number
}

interface ClientRef {
  readonly id: string
}

/** The promise-style API of aedes-persistence that aedes 1.x calls; its typings describe the callback one. */
interface DelegatePersistence {
  setup(broker: unknown): Promise<void>
  storeRetained(packet: QueuedPacket): Promise<void>
  createRetainedStream(pattern: string): Readable
  createRetainedStreamCombi(patterns: string[]): Readable
  addSubscriptions(client: ClientRef, subs: unknown[]): Promise<void>
  removeSubscriptions(client: ClientRef, subs: string[]): Promise<void>
  subscriptionsByClient(client: ClientRef): Promise<unknown[]>
  countOffline(): Promise<{ subsCount: number; clientsCount: number }>
  subscriptionsByTopic(pattern: string): Promise<Array<{ clientId: string }>>
  cleanSubscriptions(client: ClientRef): Promise<void>
  incomingStorePacket(client: ClientRef, packet: unknown): Promise<void>
  incomingGetPacket(client: ClientRef, packet: unknown): Promise<unknown>
  incomingDelPacket(client: ClientRef, packet: unknown): Promise<void>
  cleanIncoming(client: ClientRef): Promise<void>
  putWill(client: ClientRef, packet: unknown): Promise<void>
  getWill(client: ClientRef): Promise<unknown>
  delWill(client: ClientRef): Promise<unknown>
  streamWill(brokers: unknown): Readable
  getClientList(topic: string): Readable
}

/** A queued message, in its client's queue and in the list of all queued messages, oldest first. */
interface Entry {
  readonly clientId: string
  packet: QueuedPacket
  bytes: number
  older: Entry | undefined
  newer: Entry | undefined
}

interface ClientQueue {
  readonly entries: Entry[]
  bytes: number
}

export interface BoundedPersistenceOptions {
  queue?: Partial<QueueBounds>
  retained?: Partial<RetainedBounds>
  onEvent?: (event: PersistenceEvent) => void
}

export class BoundedPersistence {
  readonly queueBounds: QueueBounds
  readonly retainedBounds: RetainedBounds
  private readonly delegate: DelegatePersistence
  private readonly onEvent: (event: PersistenceEvent) => void
  private readonly queues = new Map<string, ClientQueue>()
  /** How many queue entries share each payload, so its bytes count once. */
  private readonly payloadReferences = new Map<Uint8Array | string, number>()
  private oldest: Entry | undefined
  private newest: Entry | undefined
  private queuedMessages = 0
  private queued_bytes = 0
  private droppedMessages = 0
  private readonly retainedBytesByTopic = new Map<string, number>()
  private retained_bytes = 0

  constructor(options: BoundedPersistenceOptions = {}) {
    this.queueBounds = { ...QUEUE_BOUNDS_DEFAULT, ...options.queue }
    this.retainedBounds = { ...RETAINED_BOUNDS_DEFAULT, ...options.retained }
    for (const [name, value] of [
      ...Object.entries(this.queueBounds).map(([key, bound]) => [`queue.${key}`, bound] as const),
      ...Object.entries(this.retainedBounds).map(([key, bound]) => [`retained.${key}`, bound] as const),
    ]) {
      requirePositiveInteger(value, name)
    }
    const { messagesPerGateway_max, bytesPerGateway_max, hubMessages_max, hubBytes_max, messages_max, bytes_max } = this.queueBounds
    if (messages_max < Math.max(messagesPerGateway_max, hubMessages_max) || bytes_max < Math.max(bytesPerGateway_max, hubBytes_max)) {
      throw new MqttError('INVALID_OPTIONS', 'the total queue bounds must be at least the bounds of one session')
    }
    this.delegate = (createMemoryPersistence as unknown as () => DelegatePersistence)()
    this.onEvent = options.onEvent ?? (() => undefined)
  }

  stats(): PersistenceStats {
    return {
      queued: { messages: this.queuedMessages, bytes: this.queued_bytes },
      dropped: this.droppedMessages,
      retained: { messages: this.retainedBytesByTopic.size, bytes: this.retained_bytes },
    }
  }

  /** What is queued for one client: its messages and their topic and payload bytes. */
  clientStats(clientId: string): QueueStats {
    const queue = this.queues.get(clientId)
    return { messages: queue?.entries.length ?? 0, bytes: queue?.bytes ?? 0 }
  }

  // aedes checks that setup is an async function.
  async setup(broker: unknown): Promise<void> {
    await this.delegate.setup(broker)
  }

  async storeRetained(packet: QueuedPacket): Promise<void> {
    const topic = packet.topic ?? ''
    const previous_bytes = this.retainedBytesByTopic.get(topic)
    if (byteLength(packet.payload) === 0) {
      if (previous_bytes !== undefined) {
        this.retainedBytesByTopic.delete(topic)
        this.retained_bytes -= previous_bytes
      }
      await this.delegate.storeRetained(packet)
      return
    }
    const bytes = packetBytes(packet)
    const messages = this.retainedBytesByTopic.size + (previous_bytes === undefined ? 1 : 0)
    const total = this.retained_bytes - (previous_bytes ?? 0) + bytes
    if (messages > this.retainedBounds.messages_max || total > this.retainedBounds.bytes_max) {
      this.onEvent({ kind: 'retained-refused', topic, bytes })
      return
    }
    this.retainedBytesByTopic.set(topic, bytes)
    this.retained_bytes = total
    await this.delegate.storeRetained(packet)
  }

  createRetainedStream(pattern: string): Readable {
    return this.delegate.createRetainedStream(pattern)
  }

  createRetainedStreamCombi(patterns: string[]): Readable {
    return this.delegate.createRetainedStreamCombi(patterns)
  }

  addSubscriptions(client: ClientRef, subs: unknown[]): Promise<void> {
    return this.delegate.addSubscriptions(client, subs)
  }

  removeSubscriptions(client: ClientRef, subs: string[]): Promise<void> {
    return this.delegate.removeSubscriptions(client, subs)
  }

  subscriptionsByClient(client: ClientRef): Promise<unknown[]> {
    return this.delegate.subscriptionsByClient(client)
  }

  countOffline(): Promise<{ subsCount: number; clientsCount: number }> {
    return this.delegate.countOffline()
  }

  subscriptionsByTopic(pattern: string): Promise<Array<{ clientId: string }>> {
    return this.delegate.subscriptionsByTopic(pattern)
  }

  cleanSubscriptions(client: ClientRef): Promise<void> {
    return this.delegate.cleanSubscriptions(client)
  }

  async outgoingEnqueue(sub: { clientId: string }, packet: QueuedPacket): Promise<void> {
    this.enqueueAll([sub], packet)
  }

  async outgoingEnqueueCombi(subs: Array<{ clientId: string }>, packet: QueuedPacket): Promise<void> {
    this.enqueueAll(subs, packet)
  }

  /**
   * Records the packet id a queued message was sent with, or puts the PUBREL in place of its
   * PUBLISH (QoS 2). A message no longer queued, dropped for a bound, is sent all the same: only
   * its redelivery is lost, so this is not an error.
   */
  async outgoingUpdate(client: ClientRef, packet: QueuedPacket): Promise<void> {
    const queue = this.queues.get(client.id)
    if (queue === undefined) return
    for (const entry of queue.entries) {
      if (entry.packet.brokerId === packet.brokerId) {
        if (entry.packet.brokerCounter === packet.brokerCounter) {
          entry.packet.messageId = packet.messageId
          return
        }
      } else if (entry.packet.messageId === packet.messageId) {
        this.replacePacket(queue, entry, packet)
        return
      }
    }
  }

  /** Forgets the queued message the client acknowledged, and returns it (undefined if none is queued). */
  async outgoingClearMessageId(client: ClientRef, packet: QueuedPacket): Promise<QueuedPacket | undefined> {
    const queue = this.queues.get(client.id)
    const entry = queue?.entries.find(queued => queued.packet.messageId === packet.messageId)
    if (entry === undefined) return undefined
    this.remove(entry)
    return entry.packet
  }

  outgoingStream(client: ClientRef): Readable {
    // A copy: the queue changes while aedes sends it.
    return Readable.from((this.queues.get(client.id)?.entries ?? []).map(entry => entry.packet))
  }

  incomingStorePacket(client: ClientRef, packet: unknown): Promise<void> {
    return this.delegate.incomingStorePacket(client, packet)
  }

  incomingGetPacket(client: ClientRef, packet: unknown): Promise<unknown> {
    return this.delegate.incomingGetPacket(client, packet)
  }

  incomingDelPacket(client: ClientRef, packet: unknown): Promise<void> {
    return this.delegate.incomingDelPacket(client, packet)
  }

  cleanIncoming(client: ClientRef): Promise<void> {
    return this.delegate.cleanIncoming(client)
  }

  putWill(client: ClientRef, packet: unknown): Promise<void> {
    return this.delegate.putWill(client, packet)
  }

  getWill(client: ClientRef): Promise<unknown> {
    return this.delegate.getWill(client)
  }

  delWill(client: ClientRef): Promise<unknown> {
    return this.delegate.delWill(client)
  }

  streamWill(brokers: unknown): Readable {
    return this.delegate.streamWill(brokers)
  }

  getClientList(topic: string): Readable {
    return this.delegate.getClientList(topic)
  }

  /** Queues one publish for each subscriber, then enforces the bounds, oldest out first. */
  private enqueueAll(subs: ReadonlyArray<{ clientId: string }>, packet: QueuedPacket): void {
    const topic = packet.topic ?? ''
    const droppedFor = { client: new Map<string, number>(), total: new Map<string, number>() }
    const drop = (entry: Entry, bound: 'client' | 'total'): void => {
      this.remove(entry)
      this.droppedMessages++
      const counts = droppedFor[bound]
      counts.set(entry.clientId, (counts.get(entry.clientId) ?? 0) + 1)
    }
    for (const { clientId } of subs) {
      const queue = this.queueOf(clientId)
      // Each subscriber's copy gets its own packet id when it is sent.
      const entry: Entry = { clientId, packet: { ...packet, messageId: undefined }, bytes: packetBytes(packet), older: undefined, newer: undefined }
      this.append(queue, entry)
      // The newest message stays: a single message fits every bound (the broker checks its
      // packet size against them), so the loop ends before reaching it.
      const { messages_max, bytes_max } = this.sessionBounds(clientId)
      while (queue.entries.length > messages_max || queue.bytes > bytes_max) {
        assert(queue.entries[0] !== entry, 'a queue never drops the message just queued')
        drop(queue.entries[0]!, 'client')
      }
    }
    while (this.queuedMessages > this.queueBounds.messages_max || this.queued_bytes > this.queueBounds.bytes_max) {
      drop(this.oldest!, 'total')
    }
    for (const bound of ['client', 'total'] as const) {
      const counts = droppedFor[bound]
      if (counts.size === 0) continue
      let messages = 0
      for (const count of counts.values()) messages += count
      this.onEvent({ kind: 'queue-dropped', bound, topic, clients: counts.size, messages })
    }
  }

  /** A gateway's client id is its EUI; only the hub may log in with another (authenticate.ts). */
  private sessionBounds(clientId: string): { messages_max: number; bytes_max: number } {
    return isEui(clientId)
      ? { messages_max: this.queueBounds.messagesPerGateway_max, bytes_max: this.queueBounds.bytesPerGateway_max }
      : { messages_max: this.queueBounds.hubMessages_max, bytes_max: this.queueBounds.hubBytes_max }
  }

  private queueOf(clientId: string): ClientQueue {
    let queue = this.queues.get(clientId)
    if (queue === undefined) {
      queue = { entries: [], bytes: 0 }
      this.queues.set(clientId, queue)
    }
    return queue
  }

  private append(queue: ClientQueue, entry: Entry): void {
    queue.entries.push(entry)
    queue.bytes += entry.bytes
    entry.older = this.newest
    if (this.newest === undefined) this.oldest = entry
    else this.newest.newer = entry
    this.newest = entry
    this.queuedMessages++
    this.reference(entry.packet.payload, +1)
  }

  private remove(entry: Entry): void {
    const queue = this.queues.get(entry.clientId)!
    const index = queue.entries.indexOf(entry)
    assert(index >= 0, 'a queued entry is in its client\'s queue')
    queue.entries.splice(index, 1)
    queue.bytes -= entry.bytes
    if (queue.entries.length === 0) this.queues.delete(entry.clientId)
    if (entry.older === undefined) this.oldest = entry.newer
    else entry.older.newer = entry.newer
    if (entry.newer === undefined) this.newest = entry.older
    else entry.newer.older = entry.older
    this.queuedMessages--
    this.reference(entry.packet.payload, -1)
    assert(this.queuedMessages >= 0 && this.queued_bytes >= 0, 'queue totals stay whole')
  }

  private replacePacket(queue: ClientQueue, entry: Entry, packet: QueuedPacket): void {
    this.reference(entry.packet.payload, -1)
    queue.bytes -= entry.bytes
    entry.packet = packet
    entry.bytes = packetBytes(packet)
    queue.bytes += entry.bytes
    this.reference(packet.payload, +1)
  }

  /** Counts a payload's bytes in the total while at least one queue entry holds it. */
  private reference(payload: Uint8Array | string | undefined, delta: 1 | -1): void {
    if (payload === undefined) return
    const references = (this.payloadReferences.get(payload) ?? 0) + delta
    assert(references >= 0, 'a payload is released as often as it is held')
    if (references === 0) {
      this.payloadReferences.delete(payload)
      this.queued_bytes -= byteLength(payload)
    } else {
      if (references === 1 && delta === 1) this.queued_bytes += byteLength(payload)
      this.payloadReferences.set(payload, references)
    }
  }
}

function packetBytes(packet: QueuedPacket): number {
  return byteLength(packet.topic) + byteLength(packet.payload)
}

function byteLength(value: Uint8Array | string | undefined): number {
  if (value === undefined) return 0
  return typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : value.byteLength
}
