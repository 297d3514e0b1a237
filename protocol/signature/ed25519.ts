// The one Ed25519 interface (RFC 8032, pure Ed25519) that terminals and the hub sign and verify
// through, its byte lengths, and the checks both implementations share so they accept exactly the same signatures.

import { ProtocolError } from '../errors'

export const PUBLIC_KEY_BYTES = 32
/** RFC 8032 calls the 32-byte seed the private key; the expanded 64-byte form never leaves an implementation. */
export const SECRET_KEY_BYTES = 32
export const SIGNATURE_BYTES = 64

export interface KeyPair {
  publicKey: Uint8Array
  /** The 32-byte seed. */
  secretKey: Uint8Array
}

export interface Ed25519 {
  readonly name: 'tweetnacl' | 'node'
  /** Throws ProtocolError 'BAD_KEY' unless the seed is SECRET_KEY_BYTES long. */
  keyPairFromSeed(seed: Uint8Array): KeyPair
  /** `random(length)` supplies the seed, so a simulator can make keys deterministically. */
  generateKeyPair(random?: (length: number) => Uint8Array): KeyPair
  /** Throws ProtocolError 'BAD_KEY' unless the secret key is SECRET_KEY_BYTES long. */
  sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array
  /**
   * Throws ProtocolError 'BAD_KEY' only for a public key that is not PUBLIC_KEY_BYTES long.
   * Anything else that is not a valid signature returns false, never throws: a signature of the
   * wrong length, a non-canonical S (S >= L), or a public key isAcceptablePublicKey refuses
   * (small order, non-canonical, not on the curve). Verification is RFC 8032's cofactorless
   * [S]B = R + [k]A, in both implementations: R is compared as bytes with the canonical encoding
   * of [S]B − [k]A, so a non-canonical R fails and R = identity passes only with S = k·a.
   */
  verify(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean
}

/** L, the order of the Ed25519 base point: 2^252 + 27742317777372353535851937790883648493. */
export const GROUP_ORDER = (1n << 252n) + 27742317777372353535851937790883648493n

const GROUP_ORDER_LITTLE_ENDIAN = littleEndianBytes(GROUP_ORDER, 32)

/**
 * True when the signature is SIGNATURE_BYTES long and its S half (little-endian) is below L.
 * RFC 8032 §5.1.7 requires rejecting S >= L: otherwise S + L verifies too, and one payment
 * would have two valid signatures, hence two ids.
 */
export function isCanonicalSignature(signature: Uint8Array): boolean {
  if (signature.length !== SIGNATURE_BYTES) return false
  for (let index = 31; index >= 0; index--) {
    const sByte = signature[32 + index]!
    const orderByte = GROUP_ORDER_LITTLE_ENDIAN[index]!
    if (sByte !== orderByte) return sByte < orderByte
  }
  return false
}

export function requireKeyLength(key: Uint8Array, length_bytes: number, what: string): void {
  if (!(key instanceof Uint8Array) || key.length !== length_bytes) {
    const actual = key instanceof Uint8Array ? `${key.length} bytes` : typeof key
    throw new ProtocolError('BAD_KEY', `${what} must be ${length_bytes} bytes, got ${actual}`)
  }
}

function littleEndianBytes(value: bigint, length_bytes: number): Uint8Array {
  const bytes = new Uint8Array(length_bytes)
  let rest = value
  for (let index = 0; index < length_bytes; index++) {
    bytes[index] = Number(rest & 0xffn)
    rest >>= 8n
  }
  return bytes
}

// A re-export compiles to a getter, so this stays correct whichever of the two modules loads first.
/** The default implementation: node:crypto (OpenSSL), the fast path. */
export { nodeEd25519 as ed25519 } from './node'
