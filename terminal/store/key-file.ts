// The gateway's Ed25519 seed in its own file under the data directory, readable by its owner only
// (mode 0600). It is created once, never overwritten: losing it means re-provisioning.

import { closeSync, constants, fsyncSync, openSync, readFileSync, statSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'
import { SECRET_KEY_BYTES } from '../../protocol/signature/ed25519'
import { TerminalError } from '../errors'

const KEY_FILE_MODE = 0o600

/** Writes a new key file; fails if one exists (O_EXCL), so a key is never replaced by accident. */
export function createKeyFile(path: string, seed: Uint8Array): void {
  if (seed.length !== SECRET_KEY_BYTES) throw new TerminalError('KEY_FILE_CORRUPT', `a seed is ${SECRET_KEY_BYTES} bytes`)
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, KEY_FILE_MODE)
  try {
    writeSync(fd, seed)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  // The directory entry too: after a power loss the file exists, or init runs again.
  const directory = openSync(dirname(path), 'r')
  try {
    fsyncSync(directory)
  } finally {
    closeSync(directory)
  }
}

/** Reads the seed; refuses a file others can read or one of the wrong size. */
export function readKeyFile(path: string): Uint8Array {
  const mode = statSync(path).mode & 0o777
  if ((mode & 0o077) !== 0) {
    throw new TerminalError('KEY_FILE_EXPOSED', `${path} has mode ${mode.toString(8)}; it must be readable by its owner only (600)`)
  }
  const bytes = readFileSync(path)
  if (bytes.length !== SECRET_KEY_BYTES) {
    throw new TerminalError('KEY_FILE_CORRUPT', `${path} holds ${bytes.length} bytes, not ${SECRET_KEY_BYTES}`)
  }
  return new Uint8Array(bytes)
}
