// A hub log the tests can wait on: what a running hub does in the background (a tick, a retry) shows
// in its log first, so a test awaits the line instead of polling or sleeping.

import { Writable } from 'node:stream'
import pino from 'pino'

/** A log that resolves `seen(message)` once a line with that message is written (at once if it was already). */
export function watchedLog() {
  const waiting = new Map<string, () => void>()
  const lines: string[] = []
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line === '') continue
        const { msg } = JSON.parse(line) as { msg: string }
        lines.push(msg)
        waiting.get(msg)?.()
      }
      callback()
    },
  })
  return {
    log: pino({ level: 'info' }, sink),
    seen: (message: string) => lines.includes(message)
      ? Promise.resolve()
      : new Promise<void>(resolve => waiting.set(message, resolve)),
  }
}
