// Live updates: one Server-Sent Events stream from GET /events, read with fetch so the access token goes
// in a header, resumed after a drop with Last-Event-ID. Pages subscribe to the event types they show.

import { useEffect, useRef, useState } from 'preact/hooks'
import { bearer, refreshSession } from './api'
import { LiveHandlers } from './live-handlers'

export interface LiveEvents {
  'payment.settled': { transferId: string; gatewayId: string | null; currency: string; amountMinor: number; amount: string; payerAccountId: string; payeeAccountId: string; atMs: number }
  'gateway.presence': { gatewayId: string; online: boolean; lastSeenAtMs: number }
  'order.decided': { orderId: string; status: 'validated' | 'rejected'; buyerId: string }
  'kyc.reviewed': { userId: string; documentId: string; status: 'approved' | 'rejected' }
  'doublespend.flagged': { flagId: number; gatewayId: string | null; voucherId: string | null; atMs: number }
  /** The hub no longer has the events after the last one seen: everything shown must be loaded again. */
  reset: Record<string, never>
}
export type LiveEventType = keyof LiveEvents

const handlers = new LiveHandlers()
const statusListeners = new Set<(connected: boolean) => void>()
const RETRY_FIRST_MS = 1_000
const RETRY_MAX_MS = 30_000

let lastEventId: string | null = null
let connection: AbortController | null = null
let connected = false

function setConnected(next: boolean): void {
  if (next === connected) return
  connected = next
  for (const listener of statusListeners) listener(next)
}

function dispatch(type: string, data: string, id: string | null): void {
  if (id !== null) lastEventId = id
  let parsed: unknown
  try {
    parsed = JSON.parse(data)
  } catch {
    return
  }
  handlers.deliver(type, parsed)
}

/** Parses the stream's text/event-stream lines and dispatches each complete event. */
async function read(body: ReadableStream<Uint8Array>, signal: AbortSignal): Promise<void> {
  const reader = body.getReader()
  const decoder = new TextDecoder()
  let buffer = ''
  let event = { type: 'message', data: [] as string[], id: null as string | null }
  while (!signal.aborted) {
    const { value, done } = await reader.read()
    if (done) return
    buffer += decoder.decode(value, { stream: true })
    const lines = buffer.split(/\r\n|\r|\n/)
    buffer = lines.pop() ?? ''
    for (const line of lines) {
      if (line === '') {
        if (event.data.length > 0) dispatch(event.type, event.data.join('\n'), event.id)
        event = { type: 'message', data: [], id: null }
      } else if (line.startsWith(':')) continue
      else {
        const colon = line.indexOf(':')
        const field = colon < 0 ? line : line.slice(0, colon)
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
        if (field === 'event') event.type = value
        else if (field === 'data') event.data.push(value)
        else if (field === 'id') event.id = value
      }
    }
  }
}

async function run(controller: AbortController): Promise<void> {
  let delay_ms = RETRY_FIRST_MS
  while (!controller.signal.aborted) {
    const token = bearer()
    if (token === null) return
    const headers: Record<string, string> = { accept: 'text/event-stream', authorization: `Bearer ${token}` }
    if (lastEventId !== null) headers['last-event-id'] = lastEventId
    try {
      const response = await fetch('/events', { headers, signal: controller.signal, cache: 'no-store' })
      if (response.status === 401) {
        if (!(await refreshSession())) return
        continue
      }
      if (response.ok && response.body !== null) {
        setConnected(true)
        delay_ms = RETRY_FIRST_MS
        await read(response.body, controller.signal)
      }
    } catch {
      // A dropped stream or an aborted one: the loop decides.
    }
    setConnected(false)
    if (controller.signal.aborted) return
    await new Promise((resolve) => window.setTimeout(resolve, delay_ms))
    delay_ms = Math.min(delay_ms * 2, RETRY_MAX_MS)
  }
}

/** Opens the stream for the signed-in user (once); closeLiveEvents() ends it at sign-out. */
export function openLiveEvents(): void {
  if (connection !== null) return
  const controller = new AbortController()
  connection = controller
  void run(controller).finally(() => {
    if (connection === controller) connection = null
  })
}

export function closeLiveEvents(): void {
  connection?.abort()
  connection = null
  lastEventId = null
  setConnected(false)
}

/** Calls `handler` for each event of `type` while the component is mounted. */
export function useLiveEvent<T extends LiveEventType>(type: T, handler: (data: LiveEvents[T]) => void): void {
  useLiveEvents([type], (_type, data) => handler(data))
}

/** Calls `handler` for each event of the listed `types` while the component is mounted, and for no other type. */
export function useLiveEvents<T extends LiveEventType>(types: readonly T[], handler: (type: T, data: LiveEvents[T]) => void): void {
  // The latest handler, without subscribing again on every render; the types as one key, as callers pass new arrays.
  const latest = useRef(handler)
  latest.current = handler
  const key = types.join(' ')
  useEffect(
    () => handlers.add(key.split(' '), (type, data) => latest.current(type as T, data as LiveEvents[T])),
    [key],
  )
}

export function useLiveStatus(): boolean {
  const [state, setState] = useState(connected)
  useEffect(() => {
    statusListeners.add(setState)
    // A stream that connected or dropped between the render and this effect was not heard.
    setState(connected)
    return () => void statusListeners.delete(setState)
  }, [])
  return state
}
