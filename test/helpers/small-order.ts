// Small-order Ed25519 keys and the signature that verifies under them with no secret, for the
// tests that show every door refuses them, and raw node:crypto to show the attack itself.

import { createPublicKey, verify as cryptoVerify } from 'node:crypto'
import { ED25519_TORSION_SUBGROUP } from '@noble/curves/ed25519'
import { fromHex } from '../../protocol/bytes'

/** The identity point (y = 1): under it [k]A is the identity for every k, so every message "verifies". */
export const IDENTITY_KEY = fromHex(`01${'00'.repeat(31)}`)

/** A point of order 8: [k]A is the identity for one message in eight. */
export const ORDER_8_KEY = fromHex(ED25519_TORSION_SUBGROUP[1]!)

/** Every encoding of a small-order point: the eight, with their sign bit flipped too, and y = p, p + 1 (0 and 1, non-canonical). */
export const SMALL_ORDER_ENCODINGS: readonly Uint8Array[] = [
  ...ED25519_TORSION_SUBGROUP.map((hex) => fromHex(hex)),
  ...ED25519_TORSION_SUBGROUP.map((hex) => {
    const flipped = fromHex(hex)
    flipped[31]! ^= 0x80
    return flipped
  }),
  fromHex(`ed${'ff'.repeat(30)}7f`),
  fromHex(`ee${'ff'.repeat(30)}7f`),
  fromHex(`ed${'ff'.repeat(31)}`),
  fromHex(`ee${'ff'.repeat(31)}`),
]

/** R = identity, S = 0: [S]B = R + [k]A holds whenever [k]A is the identity. Made with no secret. */
export const NO_SECRET_SIGNATURE = signatureOf(IDENTITY_KEY, new Uint8Array(32))

export function signatureOf(r: Uint8Array, s: Uint8Array): Uint8Array {
  const signature = new Uint8Array(64)
  signature.set(r)
  signature.set(s, 32)
  return signature
}

/** OpenSSL through node:crypto with none of PayAll's checks: how the hub verified before they existed. */
export function rawNodeVerify(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
  try {
    const keyObject = createPublicKey({ key: Buffer.concat([fromHex('302a300506032b6570032100'), publicKey]), format: 'der', type: 'spki' })
    return cryptoVerify(null, message, keyObject, signature)
  } catch {
    return false
  }
}
