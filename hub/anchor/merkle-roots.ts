// Where the sealer gets a batch's Merkle root: from a worker thread in a running hub (root-worker.ts), or
// computed in place where no thread is worth starting (tests, the bench's sealing figures).

import type { Worker } from 'node:worker_threads'
import { workerBeside } from '../../protocol/worker-beside'
import { assert } from '../../protocol/errors'
import { MERKLE_WORD_BYTES } from '../../protocol/merkle'
import { rootOfPacked, type RootAnswer, type RootJob } from './root-worker'

/** The root of OpenZeppelin's standard tree over 32-byte values (protocol/merkle.ts), however it is computed. */
export type MerkleRootOf = (values: readonly Uint8Array[]) => Promise<Uint8Array>

function pack(values: readonly Uint8Array[]): Uint8Array {
  const packed = new Uint8Array(values.length * MERKLE_WORD_BYTES)
  values.forEach((value, index) => {
    assert(value.length === MERKLE_WORD_BYTES, 'a Merkle value is one 32-byte word')
    packed.set(value, index * MERKLE_WORD_BYTES)
  })
  return packed
}

export const rootInPlace: MerkleRootOf = async values => rootOfPacked(pack(values))

/** One worker thread computing roots, one job at a time in the order asked. */
export class MerkleRootWorker {
  private readonly worker: Worker
  private readonly pending = new Map<number, { resolve: (root: Uint8Array) => void; reject: (error: Error) => void }>()
  private nextJobId = 1
  /** Why the worker is gone, once it is: a job posted to it then would wait forever, on a handle that keeps nothing alive. */
  private gone: Error | undefined

  constructor() {
    this.worker = workerBeside(__filename, 'root-worker')
    this.worker.on('message', (answer: RootAnswer) => {
      const waiting = this.pending.get(answer.id)
      this.pending.delete(answer.id)
      if (this.pending.size === 0) this.worker.unref()
      if ('root' in answer) waiting?.resolve(answer.root)
      else waiting?.reject(new Error(answer.error))
    })
    this.worker.on('error', error => this.failAll(error))
    this.worker.on('exit', () => this.failAll(this.gone ?? new Error('the Merkle root worker stopped')))
    // Idle, the worker keeps no process alive; set after the listeners, since adding one refs its port again.
    this.worker.unref()
  }

  readonly root: MerkleRootOf = values => new Promise((resolve, reject) => {
    if (this.gone !== undefined) {
      reject(this.gone)
      return
    }
    const packed = pack(values)
    const id = this.nextJobId++
    // Held while a job is out, so a process with nothing else to do still waits for its root.
    if (this.pending.size === 0) this.worker.ref()
    this.pending.set(id, { resolve, reject })
    this.worker.postMessage({ id, packed } satisfies RootJob, [packed.buffer as ArrayBuffer])
  })

  async close(): Promise<void> {
    await this.worker.terminate()
  }

  private failAll(error: Error): void {
    this.gone ??= error
    for (const waiting of this.pending.values()) waiting.reject(error)
    this.pending.clear()
  }
}
