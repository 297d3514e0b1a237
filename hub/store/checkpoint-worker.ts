// The WAL checkpointer's thread: its own connection copies committed WAL frames into the database file, so the
// main thread's commits never run a checkpoint (and its fsyncs) themselves. PASSIVE never blocks a writer; only a
// WAL grown past its bound is truncated, which makes a writer wait for the moment it takes.

import { statSync } from 'node:fs'
import { parentPort, workerData } from 'node:worker_threads'
import Database from 'better-sqlite3'
import { repeat, systemClock } from '../../protocol/clock'

export interface CheckpointerSettings {
  readonly databasePath: string
  /** How often the WAL's size is looked at. */
  readonly interval_ms: number
  /** A WAL past this many bytes gets a PASSIVE checkpoint. */
  readonly passiveAbove_bytes: number
  /** A WAL past this many bytes is checkpointed in full and truncated, whatever it costs a writer. */
  readonly truncateAbove_bytes: number
}

export type CheckpointRequest = { readonly kind: 'checkpoint' } | { readonly kind: 'stop' }

export type CheckpointReport =
  | { readonly kind: 'checkpointed'; readonly mode: 'PASSIVE' | 'TRUNCATE'; readonly walFrames: number; readonly checkpointedFrames: number }
  | { readonly kind: 'stopped' }
  | { readonly kind: 'failed'; readonly message: string }

/** What the worker posts: the answer to a request, or what a timed checkpoint did (a tick with nothing to do says nothing). */
export type CheckpointMessage = { readonly answer: CheckpointReport } | { readonly ticked: CheckpointReport }

/** A writer may wait this long for a TRUNCATE checkpoint; a PASSIVE one never waits. */
const BUSY_TIMEOUT_MS = 2_000

function walBytes(databasePath: string): number {
  try {
    return statSync(`${databasePath}-wal`).size
  } catch {
    return 0
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

function run(port: NonNullable<typeof parentPort>, settings: CheckpointerSettings): void {
  const database = new Database(settings.databasePath, { fileMustExist: true })
  database.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`)
  const checkpoint = (mode: 'PASSIVE' | 'TRUNCATE'): CheckpointReport => {
    const [row] = database.pragma(`wal_checkpoint(${mode})`) as Array<{ busy: number; log: number; checkpointed: number }>
    return { kind: 'checkpointed', mode, walFrames: row!.log, checkpointedFrames: row!.checkpointed }
  }
  const post = (message: CheckpointMessage): void => port.postMessage(message)
  const stopTicking = repeat(systemClock, () => {
    try {
      const bytes = walBytes(settings.databasePath)
      if (bytes > settings.truncateAbove_bytes) post({ ticked: checkpoint('TRUNCATE') })
      else if (bytes > settings.passiveAbove_bytes) post({ ticked: checkpoint('PASSIVE') })
    } catch (error) {
      post({ ticked: { kind: 'failed', message: messageOf(error) } })
    }
  }, settings.interval_ms)
  port.on('message', (request: CheckpointRequest) => {
    if (request.kind === 'checkpoint') {
      let answer: CheckpointReport
      try {
        answer = checkpoint('PASSIVE')
      } catch (error) {
        answer = { kind: 'failed', message: messageOf(error) }
      }
      post({ answer })
      return
    }
    stopTicking()
    database.close()
    post({ answer: { kind: 'stopped' } })
    port.close()
  })
}

if (parentPort !== null) run(parentPort, workerData as CheckpointerSettings)
