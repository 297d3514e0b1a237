// The hub client's received messages waiting for their handlers: handled one at a time, in arrival
// order, bounded by count and by bytes. Past either bound a message is refused, not queued: the
// hub client then takes nothing more from that connection and drops it once the queue has drained,
// so the broker sends again, in order, every message the hub has not acknowledged.

import { SerialQueue } from '../../protocol/serial-queue'

export class InboundQueue<Message> {
  private readonly jobs: SerialQueue
  /** Bytes of the messages waiting (the one being handled no longer counts). */
  private bytesWaiting = 0
  private lastJob: Promise<void> = Promise.resolve()

  /**
   * `messagesMax`: messages waiting or being handled at once (the broker's Receive Maximum under
   * MQTT 5); `bytesMax`: payload bytes waiting. `handle` settles each message itself: it must not reject.
   */
  constructor(messages_max: number, readonly bytes_max: number, private readonly handle: (message: Message) => Promise<void>) {
    this.jobs = new SerialQueue(messages_max, 'the inbound queue')
  }

  /** Messages waiting or being handled. */
  get messages(): number {
    return this.jobs.length
  }

  get bytes(): number {
    return this.bytesWaiting
  }

  /**
   * Queues `message`, of `bytes` payload bytes, to be handled after every message before it.
   * Returns false, and queues nothing, when that would pass either bound.
   */
  offer(message: Message, bytes: number): boolean {
    if (this.jobs.length >= this.jobs.jobs_max || this.bytesWaiting + bytes > this.bytes_max) return false
    this.bytesWaiting += bytes
    this.lastJob = this.jobs.run(() => {
      this.bytesWaiting -= bytes
      return this.handle(message)
    })
    return true
  }

  /** Settles once every message offered so far has been handled. */
  drained(): Promise<void> {
    return this.lastJob
  }
}
