// Ed25519 over tweetnacl: the portable, pure-JavaScript reference that the node:crypto fast path
// is checked against, and a fallback where node:crypto has no Ed25519.

import nacl from 'tweetnacl'
import {
  PUBLIC_KEY_BYTES,
  SECRET_KEY_BYTES,
  SIGNATURE_BYTES,
  isCanonicalSignature,
  requireKeyLength,
  type Ed25519,
  type KeyPair,
} from './ed25519'
import { isAcceptablePublicKey } from './public-key'

function keyPairFromSeed(seed: Uint8Array): KeyPair {
  requireKeyLength(seed, SECRET_KEY_BYTES, 'Ed25519 seed')
  const expanded = nacl.sign.keyPair.fromSeed(seed)
  return { publicKey: expanded.publicKey, secretKey: Uint8Array.from(seed) }
}

export const tweetnaclEd25519: Ed25519 = {
  name: 'tweetnacl',

  keyPairFromSeed,

  generateKeyPair(random: (length: number) => Uint8Array = nacl.randomBytes): KeyPair {
    return keyPairFromSeed(random(SECRET_KEY_BYTES))
  },

  sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
    requireKeyLength(secretKey, SECRET_KEY_BYTES, 'Ed25519 secret key')
    // tweetnacl signs with the 64-byte seed || public key form, so expand the seed first.
    return nacl.sign.detached(message, nacl.sign.keyPair.fromSeed(secretKey).secretKey)
  },

  verify(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
    requireKeyLength(publicKey, PUBLIC_KEY_BYTES, 'Ed25519 public key')
    if (signature.length !== SIGNATURE_BYTES) return false
    // tweetnacl multiplies by S without reducing it, so S + L would verify as well as S.
    if (!isCanonicalSignature(signature)) return false
    // tweetnacl takes small-order and non-canonical keys, under which a signature needs no secret.
    if (!isAcceptablePublicKey(publicKey)) return false
    return nacl.sign.detached.verify(message, signature, publicKey)
  },
}
