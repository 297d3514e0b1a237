// The hub's long-lived secrets under its data directory: the Ed25519 seed that signs vouchers,
// acks and config (gateways pin its public key), and the HS256 key of access tokens.

import { closeSync, fsyncSync, linkSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { CodedError } from '../protocol/errors'
import { nodeEd25519 } from '../protocol/signature/node'
import { SECRET_KEY_BYTES, type KeyPair } from '../protocol/signature/ed25519'
import type { RandomBytes } from '../protocol/clock'

export const HUB_KEY_FILE = 'hub-key'
export const JWT_SECRET_FILE = 'jwt-secret'
const JWT_SECRET_BYTES = 32
const OWNER_ONLY_MODE = 0o600

export type KeyFileErrorCode =
  /** The file is readable by others than its owner; a leaked key cannot be taken back. */
  | 'KEY_FILE_EXPOSED'
  /** The file is not the expected number of bytes. */
  | 'KEY_FILE_CORRUPT'

export class KeyFileError extends CodedError<KeyFileErrorCode> {
  override readonly name = 'KeyFileError'
  readonly path: string

  constructor(code: KeyFileErrorCode, path: string, message: string) {
    super(code, message)
    this.path = path
  }
}

/** The hub's key pair from <dataDir>/hub-key, a 32-byte seed created (mode 0600) on first use. */
export function loadOrCreateHubKeys(dataDir: string, random: RandomBytes): KeyPair {
  const seed = loadOrCreateSecretFile(join(dataDir, HUB_KEY_FILE), SECRET_KEY_BYTES, random)
  return nodeEd25519.keyPairFromSeed(seed)
}

/** PAYALL_JWT_SECRET when configured, else the 32 bytes of <dataDir>/jwt-secret, created on first use. */
export function loadOrCreateJwtSecret(dataDir: string, random: RandomBytes, configured: string | undefined): Uint8Array {
  if (configured !== undefined) return new Uint8Array(Buffer.from(configured, 'utf8'))
  return loadOrCreateSecretFile(join(dataDir, JWT_SECRET_FILE), JWT_SECRET_BYTES, random)
}

/** `lengthBytes` secret bytes kept in `path` (mode 0600), created whole on first use; refused if others can read it. */
export function loadOrCreateSecretFile(path: string, length_bytes: number, random: RandomBytes): Uint8Array {
  let bytes: Buffer
  try {
    assertOwnerOnly(path)
    bytes = readFileSync(path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    return createSecretFile(path, length_bytes, random)
  }
  if (bytes.length !== length_bytes) {
    throw new KeyFileError('KEY_FILE_CORRUPT', path, `${path} holds ${bytes.length} bytes, not ${length_bytes}`)
  }
  return new Uint8Array(bytes)
}

function createSecretFile(path: string, length_bytes: number, random: RandomBytes): Uint8Array {
  const bytes = random(length_bytes)
  if (bytes.length !== length_bytes) throw new RangeError(`random gave ${bytes.length} bytes, not ${length_bytes}`)
  // Written whole to a private temporary file, then linked to its name: a crash never leaves half a key, and the key
  // is never readable by others, not even for a moment. A link, unlike a rename, never replaces a file: hubs that
  // share a keys folder and start together keep the first key made, and every one of them reads that one.
  const temporaryPath = `${path}.${process.pid}.tmp`
  const descriptor = openSync(temporaryPath, 'wx', OWNER_ONLY_MODE)
  try {
    writeSync(descriptor, bytes)
    fsyncSync(descriptor)
  } finally {
    closeSync(descriptor)
  }
  try {
    linkSync(temporaryPath, path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    return loadOrCreateSecretFile(path, length_bytes, random)
  } finally {
    unlinkSync(temporaryPath)
  }
  syncDirectory(dirname(path))
  return new Uint8Array(bytes)
}

/** Makes a new name durable: the new directory entry survives power loss. */
function syncDirectory(directory: string): void {
  if (process.platform === 'win32') return
  const descriptor = openSync(directory, 'r')
  try {
    fsyncSync(descriptor)
  } finally {
    closeSync(descriptor)
  }
}

function assertOwnerOnly(path: string): void {
  // Windows has no POSIX permission bits to check.
  if (process.platform === 'win32') return
  const mode = statSync(path).mode & 0o777
  if ((mode & 0o077) !== 0) {
    throw new KeyFileError('KEY_FILE_EXPOSED', path,
      `${path} has mode ${mode.toString(8).padStart(4, '0')}; make it readable by its owner only (chmod 600)`)
  }
}
