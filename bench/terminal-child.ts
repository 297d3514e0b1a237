// The terminal process of the terminal bench: a gateway runtime (store, sync, payment flow, as
// `payall-terminal` starts it) over a data directory the parent prepared, its link through the
// parent's relay. It answers RSS questions over IPC, and says when its link is up and when every
// stored record is acked.

import { readFileSync } from 'node:fs'
import mqtt from 'mqtt'
import { systemClock, systemRandom } from '../protocol/clock'
import { DEFAULT_CONFIG } from '../terminal/config'
import { startRuntime } from '../terminal/runtime'
import { TerminalStore } from '../terminal/store/store'
import { Counter, LastScreen, NO_PRINTER } from '../simulator/fleet/terminal'

/** `collect`: run a full garbage collection first (the child runs with --expose-gc), to tell live memory from garbage. */
export type ChildRequest = { kind: 'memory'; collect: boolean } | { kind: 'stop' }
export type ChildMessage =
  | { kind: 'ready' }
  /** The link is up: connected to the broker and subscribed. */
  | { kind: 'online' }
  | { kind: 'memory'; rssBytes: number; heapUsedBytes: number; maxRssBytes: number }
  | { kind: 'synced'; records: number }

/**
 * The highest RSS of this process since it started: VmHWM, the high-water mark of its own memory
 * map. Not getrusage's maxRSS, which Linux carries across exec, so that a forked child reports
 * the larger of its own peak and its parent's RSS when it was forked.
 */
function peakRssBytes(): number {
  const line = readFileSync('/proc/self/status', 'utf8').split('\n').find(text => text.startsWith('VmHWM:'))
  const kib = line === undefined ? NaN : Number(/(\d+) kB/.exec(line)?.[1])
  if (!Number.isSafeInteger(kib)) throw new Error('no VmHWM in /proc/self/status: the peak RSS is measured on Linux')
  return kib * 1024
}

function send(message: ChildMessage): void {
  process.send!(message)
}

function main(): void {
  const [dataDir, relayUrl] = process.argv.slice(2)
  if (dataDir === undefined || relayUrl === undefined || process.send === undefined) {
    throw new Error('usage: terminal-child DATA_DIR RELAY_URL (forked, with an IPC channel)')
  }
  const store = TerminalStore.open(dataDir)
  const pendingAtStart = store.pendingTotals().reduce((sum, line) => sum + line.count, 0)
  const runtime = startRuntime(
    store, { phone: new Counter(), display: new LastScreen(), printer: NO_PRINTER }, DEFAULT_CONFIG,
    { clock: systemClock, random: systemRandom },
    { reconnectInitialMs: 20, reconnectMaxMs: 200, ackTimeoutMs: 60_000, connect: (_url, options) => mqtt.connect(relayUrl, options) },
  )
  let synced = false
  let online = false
  runtime.events.on('link', link => {
    if (online || !link.online) return
    online = true
    send({ kind: 'online' })
  })
  runtime.events.on('records-acked', () => {
    if (synced || store.firstPendingSeq() !== undefined) return
    synced = true
    send({ kind: 'synced', records: pendingAtStart })
  })
  process.on('message', (request: ChildRequest) => {
    if (request.kind === 'memory') {
      if (request.collect) (globalThis as { gc?: () => void }).gc?.()
      const usage = process.memoryUsage()
      send({ kind: 'memory', rssBytes: usage.rss, heapUsedBytes: usage.heapUsed, maxRssBytes: peakRssBytes() })
    } else {
      void runtime.stop().then(() => {
        store.close()
        process.disconnect()
      })
    }
  })
  send({ kind: 'ready' })
}

main()
