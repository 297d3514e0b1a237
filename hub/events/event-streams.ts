// The open GET /events streams: each writes, as Server-Sent Events, the live events its reader may see, a
// keep-alive comment on the hub's clock, and asks again on each keep-alive (and at once when told the
// user's access changed) whether its token still admits its reader. Bounded: a few streams per user, and
// a reader that falls behind by more than a bound of bytes is cut off, never buffered for without limit.

import type { OutgoingHttpHeaders, ServerResponse } from 'node:http'
import type { FastifyBaseLogger } from 'fastify'
import { SECOND_MS, repeat, type Cancel, type Clock } from '../../protocol/clock'
import type { AccessClaims } from '../http/auth'
import { API_CONTENT_SECURITY_POLICY, SECURITY_HEADERS } from '../http/security-headers'
import type { LiveEventListener, LiveEvents } from './live-events'
import { mayView, type LiveEvent, type Viewer } from './model'

export const KEEP_ALIVE_INTERVAL_MS = 25 * SECOND_MS
/** The `retry:` the stream starts with: how long a client waits before it reconnects. */
const RECONNECT_DELAY_MS = 3 * SECOND_MS
/** Streams one user may hold open (a few tabs, a phone); opening one more ends that user's oldest. */
export const STREAMS_PER_USER_MAX = 5
/**
 * Bytes a stream may have waiting to be sent, in Node and in its socket: a reader slower than that is cut off
 * (it reconnects with its Last-Event-ID and resumes, or gets `reset`).
 */
export const STREAM_BUFFERED_BYTES_MAX = 256 * 1024
/** A resumption that would send more than this sends `reset` instead: the reader reloads rather than the hub buffering. */
const REPLAY_BYTES_MAX = STREAM_BUFFERED_BYTES_MAX / 2

/** The reader of a stream, from the claims of its token: the one place that turns claims into roles. */
function viewerOf(claims: AccessClaims): Viewer {
  // Tokens from before roles added up carry only `role`.
  return { userId: claims.sub, roles: claims.roles ?? [claims.role] }
}

export interface EventStreamsOptions {
  readonly events: LiveEvents
  readonly clock: Clock
  readonly log: FastifyBaseLogger
  /** The claims as they stand now; rejects when the token no longer admits its user (app.checkAccess). */
  checkAccess(claims: AccessClaims): Promise<AccessClaims>
  /** STREAMS_PER_USER_MAX where not given. */
  readonly streamsPerUser_max?: number
  /** STREAM_BUFFERED_BYTES_MAX where not given. */
  readonly bufferedBytes_max?: number
}

export interface StreamStart {
  /** The Last-Event-ID the client sent, if any. */
  readonly lastEventId: number | undefined
  /** Headers the reply has gathered so far (CORS), written with the stream's own. */
  readonly headers: OutgoingHttpHeaders
}

export class EventStreams implements LiveEventListener {
  private readonly byUser = new Map<string, EventStream[]>()
  private readonly stopListening: () => void
  private readonly streamsPerUser_max: number
  private closed = false

  constructor(private readonly options: EventStreamsOptions) {
    this.streamsPerUser_max = options.streamsPerUser_max ?? STREAMS_PER_USER_MAX
    this.stopListening = options.events.listen(this)
  }

  /** Starts a stream on `response` for the holder of `claims` (checked by authenticate just before). */
  open(claims: AccessClaims, response: ServerResponse, start: StreamStart): void {
    response.writeHead(200, {
      ...start.headers,
      ...SECURITY_HEADERS,
      'content-security-policy': API_CONTENT_SECURITY_POLICY,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      // A reverse proxy (nginx) passes each event on at once instead of buffering the stream.
      'x-accel-buffering': 'no',
      // The connection ends with the stream: nothing waits for it to idle out when the hub shuts down.
      connection: 'close',
    })
    if (this.closed) {
      response.end()
      return
    }
    const { events, clock, log } = this.options
    const stream = new EventStream(response, claims, {
      clock, log, checkAccess: this.options.checkAccess, bufferedBytes_max: this.options.bufferedBytes_max ?? STREAM_BUFFERED_BYTES_MAX,
      ended: ended => this.remove(ended),
    })
    const streams = this.byUser.get(claims.sub) ?? []
    this.byUser.set(claims.sub, streams)
    streams.push(stream)
    while (streams.length > this.streamsPerUser_max) streams[0]!.end('the user opened a newer stream')
    stream.write(`retry: ${RECONNECT_DELAY_MS}\n\n`)
    stream.write(opening(events, stream.viewer, start.lastEventId))
  }

  event(event: LiveEvent): void {
    let text: string | undefined
    for (const streams of this.byUser.values()) {
      for (const stream of [...streams]) {
        if (mayView(stream.viewer, event)) stream.write(text ??= frame(event))
      }
    }
  }

  accessChanged(userId: string): void {
    for (const stream of [...(this.byUser.get(userId) ?? [])]) void stream.checkAccess()
  }

  /** Ends every stream, and any opened later at once: the hub is shutting down. */
  closeAll(): void {
    this.closed = true
    this.stopListening()
    for (const streams of [...this.byUser.values()]) {
      for (const stream of [...streams]) stream.end('the hub is shutting down')
    }
  }

  private remove(stream: EventStream): void {
    const streams = this.byUser.get(stream.userId)
    if (streams === undefined) return
    const index = streams.indexOf(stream)
    if (index >= 0) streams.splice(index, 1)
    if (streams.length === 0) this.byUser.delete(stream.userId)
  }
}

interface StreamDependencies {
  readonly clock: Clock
  readonly log: FastifyBaseLogger
  checkAccess(claims: AccessClaims): Promise<AccessClaims>
  readonly bufferedBytes_max: number
  /** Called once, when the stream ends for whatever reason. */
  ended(stream: EventStream): void
}

class EventStream {
  readonly userId: string
  viewer: Viewer
  private claims: AccessClaims
  private readonly cancelKeepAlive: Cancel
  private done = false

  constructor(private readonly response: ServerResponse, claims: AccessClaims, private readonly deps: StreamDependencies) {
    this.userId = claims.sub
    this.claims = claims
    this.viewer = viewerOf(claims)
    this.cancelKeepAlive = repeat(deps.clock, () => this.keepAlive(), KEEP_ALIVE_INTERVAL_MS, { background: true })
    response.once('close', () => this.finish('the client went away', false))
  }

  write(text: string): void {
    if (this.done) return
    this.response.write(text)
    if (this.response.writableLength > this.deps.bufferedBytes_max) {
      this.finish(`the client read too slowly: more than ${this.deps.bufferedBytes_max} bytes waited`, true)
    }
  }

  /** Reads the reader's access again: the stream ends when the token no longer admits them, else takes their current roles. */
  async checkAccess(): Promise<boolean> {
    try {
      this.claims = await this.deps.checkAccess(this.claims)
    } catch (error) {
      this.end(`access ended: ${error instanceof Error ? error.message : String(error)}`)
      return false
    }
    this.viewer = viewerOf(this.claims)
    return true
  }

  end(reason: string): void {
    this.finish(reason, false)
  }

  private keepAlive(): void {
    void this.checkAccess().then(admitted => {
      if (admitted) this.write(': keep-alive\n\n')
    })
  }

  /** `cut`: destroy the connection (what is buffered is dropped) rather than end it after what was written. */
  private finish(reason: string, cut: boolean): void {
    if (this.done) return
    this.done = true
    this.cancelKeepAlive()
    this.deps.ended(this)
    this.deps.log.info({ userId: this.userId, reason }, 'an event stream ended')
    if (cut) this.response.destroy()
    else this.response.end()
  }
}

/**
 * What a stream sends after its `retry:`: for a new reader, the id of the newest event (so a reconnect
 * resumes from here); for a resuming one, the events it missed that it may see, then that id; or `reset`.
 */
function opening(events: LiveEvents, viewer: Viewer, lastEventId: number | undefined): string {
  const cursor = `id: ${events.lastId}\n\n`
  if (lastEventId === undefined) return cursor
  const resumption = events.resume(lastEventId)
  if (resumption.kind === 'events') {
    const missed = resumption.events.filter(event => mayView(viewer, event)).map(frame).join('')
    if (Buffer.byteLength(missed) <= REPLAY_BYTES_MAX) return `${missed}${cursor}`
  }
  return `id: ${events.lastId}\nevent: reset\ndata: {}\n\n`
}

/** One event as Server-Sent Events: JSON has no raw line breaks, so `data:` is one line. */
function frame(event: LiveEvent): string {
  return `id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`
}
