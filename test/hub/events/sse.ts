// A Server-Sent Events reader over a real HTTP connection, as the dashboard reads GET /events: fetch with a
// Bearer header and the body's ReadableStream, parsed block by block (a block ends at a blank line).

interface SseBlock {
  /** Each field as sent, comments under ':'; a field sent twice keeps the last value. */
  readonly fields: Readonly<Record<string, string>>
  readonly text: string
}

export interface SseEvent {
  readonly id: number
  readonly type: string
  readonly data: unknown
}

export interface SseStream {
  readonly status: number
  readonly headers: Headers
  /** The next block; rejects once the stream has ended with none left. */
  next(): Promise<SseBlock>
  /** The next block that is an event (skips the opening, cursors and keep-alives). */
  nextEvent(): Promise<SseEvent>
  /** Resolves when the server has ended the stream (or cut it off). */
  readonly ended: Promise<void>
  close(): void
}

export async function openStream(baseUrl: string, token: string | undefined, lastEventId?: string): Promise<SseStream> {
  const abort = new AbortController()
  const headers: Record<string, string> = {}
  if (token !== undefined) headers.authorization = `Bearer ${token}`
  if (lastEventId !== undefined) headers['last-event-id'] = lastEventId
  const response = await fetch(`${baseUrl}/events`, { headers, signal: abort.signal })
  const blocks: SseBlock[] = []
  const waiters: Array<() => void> = []
  let finished = false
  let endedResolve: () => void = () => undefined
  const ended = new Promise<void>(resolve => { endedResolve = resolve })
  const wake = (): void => { for (const waiter of waiters.splice(0)) waiter() }
  const pump = async (): Promise<void> => {
    let buffered = ''
    const decoder = new TextDecoder()
    try {
      for await (const chunk of response.body! as unknown as AsyncIterable<Uint8Array>) {
        buffered += decoder.decode(chunk, { stream: true })
        for (let end = buffered.indexOf('\n\n'); end >= 0; end = buffered.indexOf('\n\n')) {
          blocks.push(parseBlock(buffered.slice(0, end)))
          buffered = buffered.slice(end + 2)
          wake()
        }
      }
    } catch {
      // Cut off, or closed by us: either way the stream has ended.
    }
    finished = true
    endedResolve()
    wake()
  }
  void pump()
  const next = async (): Promise<SseBlock> => {
    while (blocks.length === 0) {
      if (finished) throw new Error('the stream ended')
      await new Promise<void>(resolve => waiters.push(resolve))
    }
    return blocks.shift()!
  }
  return {
    status: response.status,
    headers: response.headers,
    next,
    async nextEvent() {
      for (;;) {
        const block = await next()
        if (block.fields.event !== undefined) {
          return { id: Number(block.fields.id), type: block.fields.event, data: JSON.parse(block.fields.data ?? 'null') }
        }
      }
    },
    ended,
    close: () => abort.abort(),
  }
}

function parseBlock(text: string): SseBlock {
  const fields: Record<string, string> = {}
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':')
    const name = colon < 0 ? line : line.slice(0, colon)
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
    fields[name] = value
  }
  return { fields, text }
}
