// The hub client's publishes waiting for the broker. Bounded: past the bound a publish is refused
// at once (PUBLISH_QUEUE_FULL), so a broker that stops acknowledging cannot make the hub hold
// payloads without end; and each one still waiting is told when the client closes.

import { MqttError } from './errors'

export class PendingPublishes {
  private count = 0
  private idleWaiters: Array<() => void> = []
  /** Rejects a publish still waiting for its PUBACK. */
  private readonly abandoners = new Set<(error: Error) => void>()

  constructor(readonly max: number) {}

  get size(): number {
    return this.count
  }

  /** Settles as `publish` does, counted while it waits; PUBLISH_QUEUE_FULL, without calling it, past the bound. */
  async track(publish: () => Promise<unknown>): Promise<void> {
    if (this.count >= this.max) throw new MqttError('PUBLISH_QUEUE_FULL', `${this.count} publishes are waiting for the broker`)
    this.count++
    try {
      await new Promise<void>((resolve, reject) => {
        this.abandoners.add(reject)
        publish()
          .then(() => resolve(), reject)
          .finally(() => this.abandoners.delete(reject))
      })
    } finally {
      this.count--
      if (this.count === 0) {
        const waiters = this.idleWaiters
        this.idleWaiters = []
        for (const wake of waiters) wake()
      }
    }
  }

  /** Settles once no publish is waiting (at once when none is). */
  idle(): Promise<void> {
    if (this.count === 0) return Promise.resolve()
    return new Promise(resolve => this.idleWaiters.push(resolve))
  }

  /** Rejects every publish still waiting with `error`: nothing waits on a closed client forever. */
  abandonAll(error: Error): void {
    for (const abandon of [...this.abandoners]) abandon(error)
  }
}
