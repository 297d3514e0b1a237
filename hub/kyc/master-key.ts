// The hub's master key for documents at rest: 32 random bytes in <dataDir>/kyc-master-key (mode 0600),
// created on first use. Same rules as hub/keys.ts: written whole then renamed, refused if others can read it.

import { closeSync, fsyncSync, openSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { RandomBytes } from '../context'
import { KeyFileError } from '../keys'

export const KYC_MASTER_KEY_FILE = 'kyc-master-key'
export const MASTER_KEY_BYTES = 32
const OWNER_ONLY_MODE = 0o600

export function loadOrCreateKycMasterKey(dataDir: string, random: RandomBytes): Uint8Array {
  const path = join(dataDir, KYC_MASTER_KEY_FILE)
  let bytes: Buffer
  try {
    assertOwnerOnly(path)
    bytes = readFileSync(path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    return create(path, random)
  }
  if (bytes.length !== MASTER_KEY_BYTES) {
    throw new KeyFileError('KEY_FILE_CORRUPT', path, `${path} holds ${bytes.length} bytes, not ${MASTER_KEY_BYTES}`)
  }
  return new Uint8Array(bytes)
}

function create(path: string, random: RandomBytes): Uint8Array {
  const bytes = random(MASTER_KEY_BYTES)
  if (bytes.length !== MASTER_KEY_BYTES) throw new RangeError(`random gave ${bytes.length} bytes, not ${MASTER_KEY_BYTES}`)
  const temporaryPath = `${path}.${process.pid}.tmp`
  const descriptor = openSync(temporaryPath, 'wx', OWNER_ONLY_MODE)
  try {
    writeSync(descriptor, bytes)
    fsyncSync(descriptor)
  } finally {
    closeSync(descriptor)
  }
  renameSync(temporaryPath, path)
  if (process.platform !== 'win32') {
    const directory = openSync(dirname(path), 'r')
    try {
      fsyncSync(directory)
    } finally {
      closeSync(directory)
    }
  }
  return new Uint8Array(bytes)
}

function assertOwnerOnly(path: string): void {
  if (process.platform === 'win32') return
  const mode = statSync(path).mode & 0o777
  if ((mode & 0o077) !== 0) {
    throw new KeyFileError('KEY_FILE_EXPOSED', path,
      `${path} has mode ${mode.toString(8).padStart(4, '0')}; make it readable by its owner only (chmod 600)`)
  }
}
