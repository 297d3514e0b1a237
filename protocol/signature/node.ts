// Ed25519 over node:crypto (OpenSSL): the fast path the hub verifies with. Raw keys become
// KeyObjects through fixed DER prefixes, and KeyObjects are kept in bounded LRU caches because
// the hub verifies many signatures from the same few thousand terminal keys.

import {
  createPrivateKey,
  createPublicKey,
  randomBytes,
  sign as cryptoSign,
  verify as cryptoVerify,
  type KeyObject,
} from 'node:crypto'
import { assert } from '../errors'
import { concatBytes, equalBytes, fromHex, sha256, toHex } from '../bytes'
import { BoundedLruCache } from '../bounded-lru'
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

// PKCS#8 PrivateKeyInfo and SubjectPublicKeyInfo for id-Ed25519 (1.3.101.112), RFC 8410:
// everything but the trailing 32 raw bytes is constant.
const PKCS8_PREFIX = fromHex('302e020100300506032b657004220420')
const SPKI_PREFIX = fromHex('302a300506032b6570032100')

const PUBLIC_KEY_CACHE_ENTRIES_MAX = 4096
const PRIVATE_KEY_CACHE_ENTRIES_MAX = 256

export interface NodeEd25519Options {
  publicKeyCacheEntriesMax?: number
  privateKeyCacheEntriesMax?: number
}

/** Raw keys to KeyObjects, kept in bounded LRU caches. */
class KeyObjects {
  private readonly publicKeys: BoundedLruCache<KeyObject>
  private readonly privateKeys: BoundedLruCache<KeyObject>

  constructor(options: NodeEd25519Options) {
    this.publicKeys = new BoundedLruCache<KeyObject>(options.publicKeyCacheEntriesMax ?? PUBLIC_KEY_CACHE_ENTRIES_MAX)
    this.privateKeys = new BoundedLruCache<KeyObject>(options.privateKeyCacheEntriesMax ?? PRIVATE_KEY_CACHE_ENTRIES_MAX)
  }

  forSeed(seed: Uint8Array): KeyObject {
    // Keyed by a hash so the cache holds no copy of the seed as an unwipeable string.
    const cacheKey = toHex(sha256(seed))
    let keyObject = this.privateKeys.get(cacheKey)
    if (keyObject === undefined) {
      keyObject = createPrivateKey({ key: Buffer.from(concatBytes(PKCS8_PREFIX, seed)), format: 'der', type: 'pkcs8' })
      this.privateKeys.set(cacheKey, keyObject)
    }
    return keyObject
  }

  /**
   * Undefined for a key PayAll does not accept (OpenSSL takes small-order keys, under which a
   * signature needs no secret) or one OpenSSL refuses. Only accepted keys are cached, so the
   * check runs once per key while it stays in the cache.
   */
  forPublicKey(publicKey: Uint8Array): KeyObject | undefined {
    const cacheKey = toHex(publicKey)
    let keyObject = this.publicKeys.get(cacheKey)
    if (keyObject === undefined) {
      if (!isAcceptablePublicKey(publicKey)) return undefined
      try {
        keyObject = createPublicKey({ key: Buffer.from(concatBytes(SPKI_PREFIX, publicKey)), format: 'der', type: 'spki' })
      } catch {
        return undefined
      }
      this.publicKeys.set(cacheKey, keyObject)
    }
    return keyObject
  }
}

export function createNodeEd25519(options: NodeEd25519Options = {}): Ed25519 {
  const keyObjects = new KeyObjects(options)

  function keyPairFromSeed(seed: Uint8Array): KeyPair {
    requireKeyLength(seed, SECRET_KEY_BYTES, 'Ed25519 seed')
    const spki = createPublicKey(keyObjects.forSeed(seed)).export({ format: 'der', type: 'spki' })
    assert(spki.length === SPKI_PREFIX.length + PUBLIC_KEY_BYTES, 'Ed25519 SPKI has the expected length')
    assert(equalBytes(spki.subarray(0, SPKI_PREFIX.length), SPKI_PREFIX), 'Ed25519 SPKI has the expected prefix')
    return { publicKey: Uint8Array.from(spki.subarray(SPKI_PREFIX.length)), secretKey: Uint8Array.from(seed) }
  }

  return {
    name: 'node',

    keyPairFromSeed,

    generateKeyPair(random: (length: number) => Uint8Array = randomBytes): KeyPair {
      return keyPairFromSeed(random(SECRET_KEY_BYTES))
    },

    sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
      requireKeyLength(secretKey, SECRET_KEY_BYTES, 'Ed25519 secret key')
      const signature = Uint8Array.from(cryptoSign(null, message, keyObjects.forSeed(secretKey)))
      assert(signature.length === SIGNATURE_BYTES, 'Ed25519 signature is 64 bytes')
      return signature
    },

    verify(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
      requireKeyLength(publicKey, PUBLIC_KEY_BYTES, 'Ed25519 public key')
      if (signature.length !== SIGNATURE_BYTES) return false
      // OpenSSL rejects S >= L itself; checking here too keeps the rule independent of the linked OpenSSL.
      if (!isCanonicalSignature(signature)) return false
      const keyObject = keyObjects.forPublicKey(publicKey)
      if (keyObject === undefined) return false
      try {
        return cryptoVerify(null, message, keyObject, signature)
      } catch {
        return false
      }
    },
  }
}

/** The process-wide instance, sharing one pair of key caches. */
export const nodeEd25519: Ed25519 = createNodeEd25519()
