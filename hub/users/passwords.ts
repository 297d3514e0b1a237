// Password hashes: new ones with scrypt (node:crypto), parameters inside the hash string so the
// cost can rise later; bcrypt hashes imported from the legacy system still verify, and get rehashed.

import { scrypt as scryptCallback, timingSafeEqual } from 'node:crypto'
import bcrypt from 'bcryptjs'
import type { RandomBytes } from '../../protocol/clock'

export interface ScryptCost {
  /** log2 of N, the CPU/memory cost. */
  readonly costLog2: number
  /** r */
  readonly blockSize: number
  /** p */
  readonly parallelization: number
}

/** N = 2^15, r = 8: 32 MiB and some tens of milliseconds per hash on a server core. */
export const SCRYPT_COST_DEFAULT: ScryptCost = { costLog2: 15, blockSize: 8, parallelization: 1 }

// Bounds on what a stored hash may ask for, so one bad row cannot stall or exhaust the hub.
const COST_LOG2_MAX = 20
const BLOCK_SIZE_MAX = 32
const PARALLELIZATION_MAX = 16
const BCRYPT_ROUNDS_MAX = 20
const SCRYPT_MEMORY_MAX_BYTES = 1024 * 1024 * 1024
const SALT_BYTES = 16
const KEY_BYTES = 32

const SCRYPT_HASH = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/
const BCRYPT_HASH = /^\$2[aby]\$(\d{2})\$[./A-Za-z0-9]{53}$/

export interface PasswordHasher {
  /** `$scrypt$ln=15,r=8,p=1$<salt>$<key>`, salt and key in unpadded base64. */
  hash(password: string): Promise<string>
  /** True when `password` matches a scrypt or bcrypt ($2a$, $2b$, $2y$) hash; false for any other hash. */
  verify(password: string, storedHash: string): Promise<boolean>
  /** Spends about the time `verify` spends, then returns false: for logins naming no account. */
  verifyNothing(password: string): Promise<false>
  /** True when the hash is bcrypt or weaker than this hasher's cost: rehash it on the next good login. */
  needsRehash(storedHash: string): boolean
}

export function createPasswordHasher(options: { random: RandomBytes; cost?: ScryptCost }): PasswordHasher {
  const cost = options.cost ?? SCRYPT_COST_DEFAULT
  assertCostWithinBounds(cost)
  let decoyHash: Promise<string> | undefined

  async function hash(password: string): Promise<string> {
    const salt = options.random(SALT_BYTES)
    const key = await scrypt(password, salt, cost)
    return `$scrypt$ln=${cost.costLog2},r=${cost.blockSize},p=${cost.parallelization}` +
      `$${unpaddedBase64(salt)}$${unpaddedBase64(key)}`
  }

  async function verify(password: string, storedHash: string): Promise<boolean> {
    const scryptMatch = SCRYPT_HASH.exec(storedHash)
    if (scryptMatch !== null) {
      const storedCost = { costLog2: Number(scryptMatch[1]), blockSize: Number(scryptMatch[2]), parallelization: Number(scryptMatch[3]) }
      if (!isCostWithinBounds(storedCost)) return false
      const expected = Buffer.from(scryptMatch[5]!, 'base64')
      const actual = await scrypt(password, Buffer.from(scryptMatch[4]!, 'base64'), storedCost, expected.length)
      return expected.length > 0 && timingSafeEqual(actual, expected)
    }
    const bcryptMatch = BCRYPT_HASH.exec(storedHash)
    if (bcryptMatch !== null) {
      if (Number(bcryptMatch[1]) > BCRYPT_ROUNDS_MAX) return false
      // Hashing with the stored hash as salt gives the same string for the right password.
      const actual = Buffer.from(await bcrypt.hash(password, storedHash))
      const expected = Buffer.from(storedHash)
      return actual.length === expected.length && timingSafeEqual(actual, expected)
    }
    return false
  }

  async function verifyNothing(password: string): Promise<false> {
    decoyHash ??= hash(unpaddedBase64(options.random(SALT_BYTES)))
    await verify(password, await decoyHash)
    return false
  }

  function needsRehash(storedHash: string): boolean {
    const match = SCRYPT_HASH.exec(storedHash)
    if (match === null) return true
    return Number(match[1]) < cost.costLog2 || Number(match[2]) < cost.blockSize || Number(match[3]) < cost.parallelization
  }

  return { hash, verify, verifyNothing, needsRehash }
}

function scrypt(password: string, salt: Uint8Array, cost: ScryptCost, key_bytes = KEY_BYTES): Promise<Buffer> {
  const N = 2 ** cost.costLog2
  // node refuses above maxmem (32 MiB by default), which N = 2^15, r = 8 reaches exactly.
  const maxmem = 2 * 128 * N * cost.blockSize * cost.parallelization
  return new Promise((resolve, reject) => {
    scryptCallback(password.normalize('NFC'), salt, key_bytes,
      { N, r: cost.blockSize, p: cost.parallelization, maxmem },
      (error, key) => (error === null ? resolve(key) : reject(error)))
  })
}

function isCostWithinBounds(cost: ScryptCost): boolean {
  return Number.isInteger(cost.costLog2) && cost.costLog2 >= 1 && cost.costLog2 <= COST_LOG2_MAX &&
    Number.isInteger(cost.blockSize) && cost.blockSize >= 1 && cost.blockSize <= BLOCK_SIZE_MAX &&
    Number.isInteger(cost.parallelization) && cost.parallelization >= 1 && cost.parallelization <= PARALLELIZATION_MAX &&
    128 * 2 ** cost.costLog2 * cost.blockSize * cost.parallelization <= SCRYPT_MEMORY_MAX_BYTES
}

function assertCostWithinBounds(cost: ScryptCost): void {
  if (!isCostWithinBounds(cost)) throw new RangeError(`scrypt cost out of bounds: ${JSON.stringify(cost)}`)
}

function unpaddedBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64').replace(/=+$/, '')
}

export const PASSWORD_LENGTH_MIN = 10

/** Why a password is too weak to accept, or undefined when it is strong enough. */
export function passwordWeakness(password: string): string | undefined {
  if ([...password].length < PASSWORD_LENGTH_MIN) return `a password has at least ${PASSWORD_LENGTH_MIN} characters`
  if (!/\p{L}/u.test(password)) return 'a password has at least one letter'
  if (!/\p{Nd}/u.test(password)) return 'a password has at least one digit'
  return undefined
}
