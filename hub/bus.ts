// Where the hub publishes what gateways must hear (acks, signed config, revocations): the MQTT
// connection in a running hub, a recording stand-in in tests of the REST side.

export interface PublishOptions {
  /** Kept by the broker for gateways that subscribe later (config, revocations). */
  retain?: boolean
}

export interface MessageBus {
  /** Resolves once the broker has the message (QoS 1). */
  publish(topic: string, payload: Uint8Array, options?: PublishOptions): Promise<void>
}

export interface PublishedMessage {
  topic: string
  payload: Uint8Array
  retain: boolean
}

/** A bus that keeps what was published, bounded, for tests and for a hub run without MQTT. */
export function recordingBus(messages_max = 10_000): MessageBus & { readonly published: PublishedMessage[] } {
  const published: PublishedMessage[] = []
  return {
    published,
    async publish(topic, payload, options = {}) {
      if (published.length >= messages_max) published.shift()
      published.push({ topic, payload: Uint8Array.from(payload), retain: options.retain === true })
    },
  }
}

/** A bus whose destination is attached later: the REST side starts before the MQTT connection. */
export class LateBoundBus implements MessageBus {
  private target: MessageBus | undefined

  attach(target: MessageBus): void {
    this.target = target
  }

  async publish(topic: string, payload: Uint8Array, options?: PublishOptions): Promise<void> {
    if (this.target === undefined) throw new Error(`no MQTT connection to publish ${topic}`)
    await this.target.publish(topic, payload, options)
  }
}
