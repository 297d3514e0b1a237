// A TCP relay between a terminal and its broker that the simulator (or a test) can cut and
// restore: the terminal's link goes down the way a network does (connections drop, new ones are
// refused). Given an inspector, it reads the MQTT packets both ways (framed by their remaining
// length, decoded by mqtt-packet) and lets the inspector drop, duplicate, delay or hold back each
// PUBLISH, and act right after one passed (the fault simulation's network).

import { createServer, connect, type Server, type Socket } from 'node:net'
import { parser as mqttParser, type Packet, type Parser } from 'mqtt-packet'
import { systemClock, type Cancel, type Clock } from '../protocol/clock'

/** up: from the terminal to the broker; down: from the broker to the terminal. */
type LinkDirection = 'up' | 'down'

export interface RelayedPublish {
  readonly direction: LinkDirection
  readonly topic: string
  readonly qos: number
  readonly payload: Buffer
}

type LinkAction =
  | { readonly kind: 'pass' }
  /** Lost on the way, and the connection with it: under TCP a message is only lost when its connection dies. */
  | { readonly kind: 'drop' }
  /** Sent twice, the second time marked DUP (a retransmission whose first copy arrived). */
  | { readonly kind: 'duplicate' }
  /** Held `delay_ms`, with everything behind it in the same direction (the order is kept). */
  | { readonly kind: 'delay'; readonly delay_ms: number }
  /** Held back until the next PUBLISH the same way has passed (or `wait_ms` at most): the two arrive swapped. */
  | { readonly kind: 'reorder'; readonly wait_ms: number }

export interface LinkDecision {
  readonly action: LinkAction
  /** Runs once the action is taken (a power cut, a partition, a hub killed right after this packet). */
  readonly after?: () => void
}

/** Consulted for every PUBLISH that crosses the relay; undefined lets it pass. */
export type LinkInspector = (publish: RelayedPublish) => LinkDecision | undefined

const PASS: LinkDecision = { action: { kind: 'pass' } }
const PUBLISH_TYPE = 3
const DUP_FLAG = 0x08
const REMAINING_LENGTH_BYTES_MAX = 4
/** MQTT 3.1.1 unless the CONNECT says otherwise: what mqtt.js speaks by default. */
const PROTOCOL_VERSION_DEFAULT = 4

export interface LinkProxyOptions {
  /**
   * Keep the port while down: connections are then taken and reset at once (the terminal sees its link fail as
   * when refused), and `close()` gives the port back. Without, `down()` closes the port and `up()` listens on it
   * again, which another process or relay may have taken meanwhile: a fleet of hundreds of relays keeps its ports.
   */
  readonly keepPort?: boolean
}

export class LinkProxy {
  private server: Server | undefined
  private accepting = false
  private readonly sockets = new Set<Socket>()
  private wentDown: Promise<void> | undefined
  private wakeDown: () => void = () => undefined
  port = 0
  /** Set, every connection opened from then on has its PUBLISH packets inspected. */
  inspector: LinkInspector | undefined

  constructor(
    private readonly targetHost: string, private readonly targetPort: number, private readonly clock: Clock = systemClock,
    private readonly options: LinkProxyOptions = {},
  ) {}

  static forUrl(url: string, clock?: Clock, options?: LinkProxyOptions): LinkProxy {
    const target = new URL(url)
    return new LinkProxy(target.hostname, Number(target.port), clock, options)
  }

  /** Whether the relay accepts connections now. */
  get isUp(): boolean {
    return this.accepting
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`
  }

  /** Starts relaying (on the same port as before, once one was chosen). */
  async up(): Promise<void> {
    if (this.accepting) return
    if (this.server === undefined) {
      const server = createServer(client => {
        if (this.accepting) this.relay(client)
        else client.resetAndDestroy()
      })
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(this.port, '127.0.0.1', () => resolve())
      })
      const address = server.address()
      if (address !== null && typeof address === 'object') this.port = address.port
      this.server = server
    }
    this.server.ref()
    this.accepting = true
  }

  /** Resolves the next time the relay goes down (one promise for everyone who asks until then). */
  nextDown(): Promise<void> {
    this.wentDown ??= new Promise(resolve => {
      this.wakeDown = resolve
    })
    return this.wentDown
  }

  /** Drops every connection and refuses new ones. */
  async down(): Promise<void> {
    this.accepting = false
    this.reset()
    this.wakeDown()
    this.wentDown = undefined
    // A port kept while down holds no process alive: a program (or a test) that ends with its relays down exits.
    if (this.options.keepPort !== true) await this.closePort()
    else this.server?.unref()
  }

  /** Down, and the port given back (what `down()` alone does without keepPort). */
  async close(): Promise<void> {
    await this.down()
    await this.closePort()
  }

  /** Drops every connection open now; new ones are still taken while the relay is up. */
  reset(): void {
    for (const socket of this.sockets) socket.destroy()
    this.sockets.clear()
  }

  private async closePort(): Promise<void> {
    const server = this.server
    this.server = undefined
    if (server !== undefined) await new Promise<void>(resolve => server.close(() => resolve()))
  }

  private relay(client: Socket): void {
    const upstream = connect(this.targetPort, this.targetHost)
    for (const socket of [client, upstream]) {
      this.sockets.add(socket)
      socket.on('close', () => this.sockets.delete(socket))
      socket.on('error', () => socket.destroy())
    }
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => client.destroy())
    const inspector = this.inspector
    if (inspector === undefined) {
      client.pipe(upstream).pipe(client)
      return
    }
    const drop = (): void => {
      client.destroy()
      upstream.destroy()
    }
    const versions = { protocolVersion: PROTOCOL_VERSION_DEFAULT }
    const up = new InspectedDirection('up', new Outbound(upstream, this.clock), inspector, drop, versions)
    const down = new InspectedDirection('down', new Outbound(client, this.clock), inspector, drop, versions)
    client.on('data', (chunk: Buffer) => up.push(chunk))
    upstream.on('data', (chunk: Buffer) => down.push(chunk))
    for (const socket of [client, upstream]) socket.on('close', () => {
      up.close()
      down.close()
    })
  }
}

/** One direction of an inspected connection: bytes in, whole packets judged, packets out. */
class InspectedDirection {
  private buffered: Buffer = Buffer.alloc(0)
  private parser: Parser | undefined
  private parsed: Packet | undefined

  constructor(
    private readonly direction: LinkDirection,
    private readonly out: Outbound,
    private readonly inspector: LinkInspector,
    private readonly drop: () => void,
    /** Shared by both directions: the CONNECT going up says which protocol version the broker's packets speak. */
    private readonly versions: { protocolVersion: number },
  ) {}

  push(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk])
    for (let frame = this.nextFrame(); frame !== undefined; frame = this.nextFrame()) {
      if (this.out.closed) return
      this.judge(frame)
    }
  }

  close(): void {
    this.out.close()
  }

  private judge(frame: Buffer): void {
    if (frame[0]! >> 4 !== PUBLISH_TYPE) {
      const packet = this.decode(frame)
      if (packet?.cmd === 'connect' && packet.protocolVersion !== undefined) this.versions.protocolVersion = packet.protocolVersion
      this.out.send(frame, false)
      return
    }
    const packet = this.decode(frame)
    if (packet === undefined || packet.cmd !== 'publish') {
      this.out.send(frame, true)
      return
    }
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload
    const decision = this.inspector({ direction: this.direction, topic: packet.topic, qos: packet.qos, payload }) ?? PASS
    const { action } = decision
    switch (action.kind) {
      case 'pass':
        this.out.send(frame, true)
        break
      case 'drop':
        this.drop()
        break
      case 'duplicate': {
        this.out.send(frame, true)
        const again = Buffer.from(frame)
        if (packet.qos > 0) again[0] = again[0]! | DUP_FLAG
        this.out.send(again, true)
        break
      }
      case 'delay':
        this.out.delay(frame, action.delay_ms)
        break
      case 'reorder':
        this.out.holdBack(frame, action.wait_ms)
        break
    }
    decision.after?.()
  }

  /** The packet one frame holds, or undefined when mqtt-packet cannot read it (it is relayed as it came). */
  private decode(frame: Buffer): Packet | undefined {
    if (this.parser === undefined) {
      this.parser = mqttParser({ protocolVersion: this.versions.protocolVersion })
      this.parser.on('packet', packet => {
        this.parsed = packet
      })
      this.parser.on('error', () => {
        this.parser = undefined
      })
    }
    this.parsed = undefined
    this.parser.parse(frame)
    return this.parsed
  }

  /** Cuts the next whole MQTT control packet off the buffered bytes. */
  private nextFrame(): Buffer | undefined {
    const buffer = this.buffered
    let remaining = 0
    let multiplier = 1
    let index = 1
    for (;; index++) {
      if (index >= buffer.length) return undefined
      const byte = buffer[index]!
      remaining += (byte & 0x7f) * multiplier
      multiplier *= 128
      if ((byte & 0x80) === 0) break
      // A malformed length: the connection is not MQTT any more; the broker would close it.
      if (index === REMAINING_LENGTH_BYTES_MAX) {
        this.drop()
        return undefined
      }
    }
    const total = index + 1 + remaining
    if (buffer.length < total) return undefined
    this.buffered = buffer.subarray(total)
    return buffer.subarray(0, total)
  }
}

/** The sending side of one direction: in order, except for what a delay holds up or a reorder holds back. */
class Outbound {
  /** Packets waiting behind a delay, in order; undefined while nothing is delayed. */
  private delayed: Buffer[] | undefined
  private cancelDelay: Cancel = () => undefined
  /** A PUBLISH held back until the next one has passed. */
  private heldBack: { readonly bytes: Buffer; readonly cancel: Cancel } | undefined
  closed = false

  constructor(private readonly socket: Socket, private readonly clock: Clock) {}

  send(bytes: Buffer, publish: boolean): void {
    this.write(bytes)
    if (publish) this.releaseHeldBack()
  }

  delay(bytes: Buffer, delay_ms: number): void {
    if (this.delayed === undefined) {
      this.delayed = []
      this.cancelDelay = this.clock.setTimer(() => {
        const waiting = this.delayed ?? []
        this.delayed = undefined
        for (const packet of waiting) this.write(packet)
      }, delay_ms)
    }
    this.delayed.push(bytes)
  }

  holdBack(bytes: Buffer, wait_ms: number): void {
    // One held back at a time: an earlier one goes first.
    this.releaseHeldBack()
    const cancel = this.clock.setTimer(() => this.releaseHeldBack(), wait_ms)
    this.heldBack = { bytes, cancel }
  }

  close(): void {
    this.closed = true
    this.cancelDelay()
    this.heldBack?.cancel()
    this.heldBack = undefined
    this.delayed = undefined
  }

  private releaseHeldBack(): void {
    const held = this.heldBack
    if (held === undefined) return
    this.heldBack = undefined
    held.cancel()
    this.write(held.bytes)
  }

  private write(bytes: Buffer): void {
    if (this.closed || this.socket.destroyed) return
    if (this.delayed !== undefined) this.delayed.push(bytes)
    else this.socket.write(bytes)
  }
}
