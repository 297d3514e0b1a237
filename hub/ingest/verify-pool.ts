// Ed25519 verification spread over worker threads, so the main thread keeps ingesting and
// settling while signatures are checked (the hub's hottest work: one per payment).

import * as os from 'node:os'
import type { Worker } from 'node:worker_threads'
import { workerBeside } from '../../protocol/worker-beside'
import { assert } from '../../protocol/errors'
import type { VerifyJob, VerifyResult } from './verify-worker'
import { verifyPacked } from './verify-worker'

export interface SignatureCheck {
  message: Uint8Array
  signature: Uint8Array
  publicKey: Uint8Array
}

/** Below this many checks a job is verified inline: posting it would cost more than it saves. */
const INLINE_CHECKS_MAX = 4
const MESSAGE_BYTES_MAX = 0xffff

interface Pending {
  resolve: (valid: Uint8Array) => void
  reject: (error: Error) => void
  /** The worker the job was posted to: if it dies, the job is answered with an error. */
  worker: Worker
}

export class VerifyPool {
  /** By slot; undefined once its worker died, until the next job starts another there. */
  private readonly workers: Array<Worker | undefined> = []
  private readonly pending = new Map<number, Pending>()
  private nextJobId = 1
  private nextWorker = 0
  private closed = false

  constructor(readonly size: number = Math.max(1, os.availableParallelism())) {
    for (let slot = 0; slot < size; slot++) this.workers.push(this.startWorker(slot))
  }

  /** Jobs posted to the workers and not answered yet: the depth of their queue. */
  get jobsWaiting(): number {
    return this.pending.size
  }

  /** Checks every signature; the answer is in input order, true where valid. */
  async verifyAll(checks: readonly SignatureCheck[]): Promise<boolean[]> {
    assert(!this.closed, 'verify pool is closed')
    if (checks.length === 0) return []
    if (checks.length <= INLINE_CHECKS_MAX) return [...verifyPacked(pack(checks), checks.length)].map(v => v === 1)
    const share = Math.ceil(checks.length / this.workers.length)
    const parts: Array<Promise<Uint8Array>> = []
    for (let start = 0; start < checks.length; start += share) {
      parts.push(this.post(checks.slice(start, start + share)))
    }
    const results = await Promise.all(parts)
    const valid: boolean[] = []
    for (const part of results) for (const bit of part) valid.push(bit === 1)
    assert(valid.length === checks.length, 'one answer per signature')
    return valid
  }

  private post(checks: readonly SignatureCheck[]): Promise<Uint8Array> {
    const id = this.nextJobId++
    const slot = this.nextWorker++ % this.workers.length
    // A worker that died is replaced by the next job that needs its slot, not at once: one that cannot
    // start fails each job once instead of restarting in a loop.
    const worker = this.workers[slot] ?? this.startWorker(slot)
    this.workers[slot] = worker
    const packed = pack(checks)
    const job: VerifyJob = { id, packed, count: checks.length }
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, worker })
      worker.ref()
      worker.postMessage(job, [packed.buffer as ArrayBuffer])
    })
  }

  private startWorker(slot: number): Worker {
    const worker = workerBeside(__filename, 'verify-worker')
    worker.on('message', (result: VerifyResult) => this.settle(result))
    // An uncaught error ends the worker ('exit' follows); an exit while the pool is open is a death.
    worker.on('error', error => this.failJobsOf(worker, error))
    worker.on('exit', code => {
      if (this.workers[slot] === worker) this.workers[slot] = undefined
      if (!this.closed) this.failJobsOf(worker, new Error(`a verify worker exited (code ${code})`))
    })
    worker.unref()
    return worker
  }

  private settle(result: VerifyResult): void {
    const pending = this.pending.get(result.id)
    if (pending === undefined) return
    this.pending.delete(result.id)
    if (this.pending.size === 0) for (const worker of this.workers) worker?.unref()
    pending.resolve(result.valid)
  }

  /** Answers every job posted to `worker` (every job, when undefined) with `error`: a batch that needs one is a fault of the hub. */
  private failJobsOf(worker: Worker | undefined, error: Error): void {
    for (const [id, pending] of this.pending) {
      if (worker !== undefined && pending.worker !== worker) continue
      this.pending.delete(id)
      pending.reject(error)
    }
  }

  async close(): Promise<void> {
    this.closed = true
    this.failJobsOf(undefined, new Error('verify pool closed'))
    await Promise.all(this.workers.map(worker => worker?.terminate()))
  }
}

function pack(checks: readonly SignatureCheck[]): Uint8Array {
  let length = 0
  for (const check of checks) {
    assert(check.message.length <= MESSAGE_BYTES_MAX, 'signed message too long to pack')
    length += 2 + check.message.length + 64 + 32
  }
  const packed = new Uint8Array(length)
  let offset = 0
  for (const { message, signature, publicKey } of checks) {
    packed[offset] = message.length >> 8
    packed[offset + 1] = message.length & 0xff
    packed.set(message, offset + 2)
    offset += 2 + message.length
    // A signature or key of the wrong length is packed zero-padded; verification then fails.
    packed.set(signature.subarray(0, 64), offset)
    offset += 64
    packed.set(publicKey.subarray(0, 32), offset)
    offset += 32
  }
  return packed
}
