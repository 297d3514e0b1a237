// Which 32 bytes are an Ed25519 public key PayAll accepts: the canonical encoding of a point on
// edwards25519 that is not of small order. Both verifiers and every place a key enters use this.
//
// Under a small-order key A, [k]A is one of eight points whatever k is, so R = identity, S = 0
// passes the RFC 8032 check [S]B = R + [k]A for every message (identity key) or for one in two to
// eight (the others): a signature made with no secret. libsodium refuses the same keys
// (ge25519_is_canonical and ge25519_has_small_order). A key with a small-order component added
// to an honest one (mixed order) is accepted: no honest key has one (they are [a]B, and B has
// prime order), nobody can sign under it without a, and the cofactorless verification both
// verifiers do refuses its holder's own signatures whenever [k] of that component is not the identity.

import { ProtocolError } from '../errors'

const KEY_BYTES = 32

/** p = 2^255 − 19, the field of edwards25519. */
const P = (1n << 255n) - 19n

/** d = −121665 / 121666 mod p (RFC 8032 §5.1). */
const D = 37095705934669439343138083508754565189542113879843219016388785533085940283555n

/** The y of two of the four points of order 8; the other two have p − Y_ORDER_8. */
const Y_ORDER_8 = 2707385501144840649318225287225658788936804267575313519463743609750303402022n

/**
 * The y coordinates of the eight points of small order (the torsion subgroup): 1 (the identity),
 * p − 1 (order 2), 0 (the two of order 4) and ±Y_ORDER_8. Each y is shared by a point and its
 * negation, so this covers both values of the sign bit; the non-canonical encodings p and p + 1
 * that libsodium's blocklist also lists are refused as y >= p.
 */
const SMALL_ORDER_Y: ReadonlySet<bigint> = new Set([0n, 1n, P - 1n, Y_ORDER_8, P - Y_ORDER_8])

export type PublicKeyProblem = 'length' | 'non-canonical' | 'small-order' | 'not-on-curve'

/** Why `key` is not an acceptable Ed25519 public key, or undefined when it is one. */
export function publicKeyProblem(key: Uint8Array): PublicKeyProblem | undefined {
  if (!(key instanceof Uint8Array) || key.length !== KEY_BYTES) return 'length'
  // Bit 255 is the sign of x; the 255 bits below it are y, little-endian (RFC 8032 §5.1.2).
  const y = littleEndian(key) & ((1n << 255n) - 1n)
  if (y >= P) return 'non-canonical'
  if (SMALL_ORDER_Y.has(y)) return 'small-order'
  if (!hasCurvePoint(y)) return 'not-on-curve'
  return undefined
}

export function isAcceptablePublicKey(key: Uint8Array): boolean {
  return publicKeyProblem(key) === undefined
}

const PROBLEM_TEXT: Record<PublicKeyProblem, string> = {
  length: `is not ${KEY_BYTES} bytes`,
  'non-canonical': 'is not canonically encoded (y >= p)',
  'small-order': 'is a point of small order, under which signatures can be made without a secret',
  'not-on-curve': 'is not a point on edwards25519',
}

/** Throws ProtocolError 'BAD_KEY', naming `what`, unless `key` is an acceptable public key. */
export function requireAcceptablePublicKey(key: Uint8Array, what: string): void {
  const problem = publicKeyProblem(key)
  if (problem !== undefined) throw new ProtocolError('BAD_KEY', `${what} ${PROBLEM_TEXT[problem]}`)
}

/**
 * Whether some x has x² = (y² − 1) / (d·y² + 1), RFC 8032 §5.1.3 steps 2-3: with
 * x = u·v³·(u·v⁷)^((p−5)/8), a root exists exactly when v·x² is u or −u.
 */
function hasCurvePoint(y: bigint): boolean {
  const ySquared = multiply(y, y)
  const u = modulo(ySquared - 1n)
  const v = modulo(D * ySquared + 1n)
  const v3 = multiply(multiply(v, v), v)
  const x = multiply(multiply(u, v3), powerPMinus5Over8(multiply(multiply(u, v3), multiply(v3, v))))
  const vxSquared = multiply(v, multiply(x, x))
  return vxSquared === u || vxSquared === modulo(-u)
}

/**
 * z^((p−5)/8) = z^(2^252 − 3) by ref10's addition chain: 251 squarings and 11 multiplications,
 * half the work of square-and-multiply on an exponent that is nearly all ones. A verifier runs
 * this once per key it has not cached.
 */
function powerPMinus5Over8(z: bigint): bigint {
  const z2 = multiply(z, z)
  const z9 = multiply(z, squareTimes(z2, 2))
  const z11 = multiply(z2, z9)
  const z2_5_0 = multiply(z9, multiply(z11, z11))
  const z2_10_0 = multiply(squareTimes(z2_5_0, 5), z2_5_0)
  const z2_20_0 = multiply(squareTimes(z2_10_0, 10), z2_10_0)
  const z2_40_0 = multiply(squareTimes(z2_20_0, 20), z2_20_0)
  const z2_50_0 = multiply(squareTimes(z2_40_0, 10), z2_10_0)
  const z2_100_0 = multiply(squareTimes(z2_50_0, 50), z2_50_0)
  const z2_200_0 = multiply(squareTimes(z2_100_0, 100), z2_100_0)
  const z2_250_0 = multiply(squareTimes(z2_200_0, 50), z2_50_0)
  return multiply(squareTimes(z2_250_0, 2), z)
}

function littleEndian(bytes: Uint8Array): bigint {
  return BigInt(`0x${Buffer.from(bytes).reverse().toString('hex')}`)
}

function modulo(value: bigint): bigint {
  const rest = value % P
  return rest < 0n ? rest + P : rest
}

function multiply(a: bigint, b: bigint): bigint {
  return (a * b) % P
}

/** z^(2^times). */
function squareTimes(z: bigint, times: number): bigint {
  let result = z
  for (let round = 0; round < times; round++) result = (result * result) % P
  return result
}
