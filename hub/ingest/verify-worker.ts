// A verification worker: checks packed batches of Ed25519 signatures off the main thread.
// Layout of a job: repeated [u16 message length | message | 64-byte signature | 32-byte key].

import { parentPort } from 'node:worker_threads'
import { nodeEd25519 } from '../../protocol/signature/node'

export interface VerifyJob {
  id: number
  packed: Uint8Array
  count: number
}

export interface VerifyResult {
  id: number
  valid: Uint8Array
}

export function verifyPacked(packed: Uint8Array, count: number): Uint8Array {
  const valid = new Uint8Array(count)
  let offset = 0
  for (let i = 0; i < count; i++) {
    const length = (packed[offset]! << 8) | packed[offset + 1]!
    offset += 2
    const message = packed.subarray(offset, offset + length)
    offset += length
    const signature = packed.subarray(offset, offset + 64)
    offset += 64
    const publicKey = packed.subarray(offset, offset + 32)
    offset += 32
    valid[i] = nodeEd25519.verify(message, signature, publicKey) ? 1 : 0
  }
  return valid
}

if (parentPort !== null) {
  const port = parentPort
  port.on('message', (job: VerifyJob) => {
    const valid = verifyPacked(job.packed, job.count)
    port.postMessage({ id: job.id, valid } satisfies VerifyResult, [valid.buffer as ArrayBuffer])
  })
}
