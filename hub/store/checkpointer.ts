// Runs the hub database's WAL checkpoints on a worker thread (checkpoint-worker.ts) and turns SQLite's own
// checkpoints off on the main connection: a checkpoint copies pages and fsyncs the database file, work that
// would otherwise land on whichever commit crosses the WAL's threshold, blocking the main thread.

import type { Worker } from 'node:worker_threads'
import { workerBeside } from '../../protocol/worker-beside'
import { assert } from '../../protocol/errors'
import type { CheckpointerSettings, CheckpointMessage, CheckpointReport, CheckpointRequest } from './checkpoint-worker'
import type { SqliteDatabase } from './database'

const DEFAULT_SETTINGS = {
  interval_ms: 100,
  // SQLite's own default threshold: 1,000 pages of 4 KiB.
  passiveAbove_bytes: 4 * 1024 * 1024,
  truncateAbove_bytes: 64 * 1024 * 1024,
} as const

export interface CheckpointerOptions extends Partial<Omit<CheckpointerSettings, 'databasePath'>> {
  /** Told of a timed checkpoint that failed; the next tick tries again. */
  readonly failed: (message: string) => void
  /** Told of each timed checkpoint made. */
  readonly checkpointed?: (report: CheckpointReport) => void
}

export class Checkpointer {
  private readonly worker: Worker
  private readonly answers: Array<(report: CheckpointReport) => void> = []
  private stopping: Promise<void> | undefined
  private exited = false

  /** `database` is the main connection to `databasePath`; it stops checkpointing by itself until stop(). */
  constructor(private readonly database: SqliteDatabase, databasePath: string, options: CheckpointerOptions) {
    const settings: CheckpointerSettings = { ...DEFAULT_SETTINGS, ...withoutCallbacks(options), databasePath }
    assert(settings.passiveAbove_bytes > 0 && settings.truncateAbove_bytes > settings.passiveAbove_bytes,
      'a WAL is truncated only past the size that starts a passive checkpoint')
    this.worker = workerBeside(__filename, 'checkpoint-worker', { workerData: settings })
    this.worker.on('message', (message: CheckpointMessage) => {
      if ('answer' in message) {
        this.answers.shift()?.(message.answer)
        if (this.answers.length === 0) this.worker.unref()
      }
      else if (message.ticked.kind === 'failed') options.failed(message.ticked.message)
      else options.checkpointed?.(message.ticked)
    })
    this.worker.on('error', error => {
      options.failed(error.message)
      this.answerAll({ kind: 'failed', message: error.message })
    })
    // A worker gone answers nothing more: whoever waits is told, so a stop never hangs on it.
    this.worker.on('exit', () => {
      this.exited = true
      this.answerAll({ kind: 'stopped' })
    })
    database.pragma('wal_autocheckpoint = 0')
    // Idle, the worker keeps no process alive; set after the listeners, since adding one refs its port again.
    this.worker.unref()
  }

  /** A PASSIVE checkpoint now, answered with what it did (for tests and an operator's tools). */
  checkpointNow(): Promise<CheckpointReport> {
    return this.ask({ kind: 'checkpoint' })
  }

  /** Stops the worker and gives checkpoints back to the main connection. Safe to call twice. */
  stop(): Promise<void> {
    this.stopping ??= this.ask({ kind: 'stop' }).then(async () => {
      await this.worker.terminate()
      if (this.database.open) this.database.pragma('wal_autocheckpoint = 1000')
    })
    return this.stopping
  }

  private answerAll(report: CheckpointReport): void {
    for (const answer of this.answers.splice(0)) answer(report)
  }

  private ask(request: CheckpointRequest): Promise<CheckpointReport> {
    if (this.exited) return Promise.resolve({ kind: 'stopped' })
    return new Promise(resolve => {
      // Held while a request is out, so a caller with nothing else to do still gets its answer.
      if (this.answers.length === 0) this.worker.ref()
      this.answers.push(resolve)
      this.worker.postMessage(request)
    })
  }
}

function withoutCallbacks(options: CheckpointerOptions): Partial<Omit<CheckpointerSettings, 'databasePath'>> {
  const { failed: _failed, checkpointed: _checkpointed, ...settings } = options
  return settings
}
