// A new gateway: its EUI-64 (given, or generated as a locally administered one), its Ed25519 key
// in a 0600 file and its database, under one data directory.

import { SECRET_KEY_BYTES } from '../protocol/signature/ed25519'
import { euiFromBytes, parseEui } from '../protocol/eui'
import { isProtocolError } from '../protocol/errors'
import type { Clock, RandomBytes } from '../protocol/clock'
import { TerminalError } from './errors'
import { TerminalStore } from './store/store'

/**
 * A random EUI-64 with the IEEE "locally administered" bit set and the group bit clear, so it
 * cannot collide with a manufacturer-assigned one.
 */
export function generateEui(random: RandomBytes): string {
  const bytes = Uint8Array.from(random(8))
  bytes[0] = (bytes[0]! | 0x02) & 0xfe
  return euiFromBytes(bytes)
}

export function initTerminal(dataDir: string, eui: string | undefined, deps: { clock: Clock; random: RandomBytes }): TerminalStore {
  let canonical: string
  try {
    canonical = eui === undefined ? generateEui(deps.random) : parseEui(eui)
  } catch (error) {
    if (isProtocolError(error)) throw new TerminalError('BAD_ARGUMENT', `--eui: ${error.message}`)
    throw error
  }
  return TerminalStore.init(dataDir, canonical, deps.random(SECRET_KEY_BYTES), deps.clock.now_ms())
}
