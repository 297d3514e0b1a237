// Measures how many Ed25519 verifications per second an implementation sustains on the current
// thread, over a fixed set of keys and messages, for the benchmark to compare implementations.

import { ProtocolError, assert } from '../errors'
import type { Ed25519 } from './ed25519'

const KEY_COUNT = 16
const MESSAGE_BYTES = 128

interface SignedMessage {
  message: Uint8Array
  signature: Uint8Array
  publicKey: Uint8Array
}

function fixedSignedMessages(impl: Ed25519): SignedMessage[] {
  const signed: SignedMessage[] = []
  for (let keyIndex = 0; keyIndex < KEY_COUNT; keyIndex++) {
    const { publicKey, secretKey } = impl.keyPairFromSeed(new Uint8Array(32).fill(keyIndex + 1))
    const message = new Uint8Array(MESSAGE_BYTES).map((_, byteIndex) => (byteIndex * 31 + keyIndex) & 0xff)
    signed.push({ message, signature: impl.sign(message, secretKey), publicKey })
  }
  return signed
}

/**
 * Verifications per second, measured for about `durationMs` (at least one verification).
 * The clock is read after every verification: a few tens of nanoseconds against tens of microseconds.
 */
export function measureVerifyRate(impl: Ed25519, duration_ms: number): number {
  if (!Number.isFinite(duration_ms) || duration_ms <= 0) {
    throw new ProtocolError('OUT_OF_RANGE', `durationMs must be a positive number, got ${duration_ms}`)
  }
  const signed = fixedSignedMessages(impl)
  let verifications = 0
  const start_ms = performance.now()
  let elapsed_ms = 0
  do {
    const { message, signature, publicKey } = signed[verifications % KEY_COUNT]!
    // A rejected signature would mean the benchmark timed the wrong path.
    assert(impl.verify(message, signature, publicKey), `${impl.name} accepts its own signature`)
    verifications++
    elapsed_ms = performance.now() - start_ms
  } while (elapsed_ms < duration_ms)
  return (verifications * 1000) / elapsed_ms
}
