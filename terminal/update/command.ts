// `payall-terminal update BUNDLE`: reads the update key the hub published from the data directory, then
// judges, installs, switches and watches the new release (updater.ts) on the machine's releases.

import { chownSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import type { Clock } from '../../protocol/clock'
import { errorText } from '../../protocol/errors'
import { nodeEd25519 } from '../../protocol/signature/node'
import { TerminalError } from '../errors'
import { TerminalStore } from '../store/store'
import { UpdateError } from './errors'
import { Releases, RELEASES_ROOT_DEFAULT } from './releases'
import { systemUpdate } from './system-update'
import { applyUpdate, type UpdateSystem } from './updater'

/** A packed project with its production dependencies' sources is some megabytes; this is far above it. */
const BUNDLE_BYTES_MAX = 256 * 1024 * 1024
const HEALTH_WAIT_S_DEFAULT = 120
const HEALTH_POLL_MS = 2_000

export const UPDATE_HELP = `  update BUNDLE [--releases DIR] [--health-wait-s N]
                                      install a bundle made by "payall-hub publish-update":
                                      refused unless signed by the update key the hub
                                      published and newer than the running release; installed
                                      beside it in DIR/releases/VERSION (default ${RELEASES_ROOT_DEFAULT}),
                                      DIR/current switched to it and the service restarted;
                                      switched back unless it reports healthy within N s
                                      (default ${HEALTH_WAIT_S_DEFAULT}). Run as root
`

export interface UpdateIo {
  out(text: string): void
  err(text: string): void
  env: Record<string, string | undefined>
  clock: Clock
  /** The machine's side (npm, systemd); deploy/pi's unless a test brings a fake. */
  updateSystem?: UpdateSystem
}

/**
 * The update key the data directory's store holds. The command runs as root while the store belongs to the
 * service's user: files SQLite creates on opening (the WAL and its index, when the service is stopped)
 * are given back to the directory's owner, or the service could not open its own store again.
 */
function heldUpdateKey(dataDir: string): Uint8Array | undefined {
  const store = TerminalStore.open(dataDir)
  const key = store.updateKey.current()?.publicKey
  store.close()
  if (process.getuid?.() === 0) {
    const owner = statSync(dataDir)
    for (const name of readdirSync(dataDir)) {
      const path = join(dataDir, name)
      if (statSync(path).uid !== owner.uid) chownSync(path, owner.uid, owner.gid)
    }
  }
  return key
}

export async function updateCommand(argv: readonly string[], dataDirDefault: string, io: UpdateIo): Promise<number> {
  let values: { 'data-dir'?: string; releases?: string; 'health-wait-s'?: string }
  let positionals: string[]
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv], strict: true, allowPositionals: true,
      options: { 'data-dir': { type: 'string' }, releases: { type: 'string' }, 'health-wait-s': { type: 'string' } },
    }))
  } catch (error) {
    io.err(`payall-terminal update: ${(error as Error).message} (see --help)\n`)
    return 2
  }
  const waitS = Number(values['health-wait-s'] ?? HEALTH_WAIT_S_DEFAULT)
  if (positionals.length !== 1 || !Number.isSafeInteger(waitS) || waitS < 1) {
    io.err('payall-terminal update: give one BUNDLE file, and --health-wait-s a whole number of seconds >= 1 (see --help)\n')
    return 2
  }
  const bundlePath = positionals[0]!
  try {
    const size_bytes = statSync(bundlePath).size
    if (size_bytes > BUNDLE_BYTES_MAX) throw new UpdateError('MALFORMED_BUNDLE', `${bundlePath} is ${size_bytes} bytes, more than any bundle`)
    const bundle = new Uint8Array(readFileSync(bundlePath))
    const updateKey = heldUpdateKey(values['data-dir'] ?? dataDirDefault)
    const outcome = await applyUpdate(bundle, updateKey, {
      releases: new Releases(values.releases ?? RELEASES_ROOT_DEFAULT), system: io.updateSystem ?? systemUpdate,
      clock: io.clock, ed25519: nodeEd25519, healthWaitMs: waitS * 1000, healthPollMs: HEALTH_POLL_MS,
    })
    if (outcome.kind === 'updated') {
      io.out(`updated ${outcome.from} → ${outcome.to}: it reports healthy\n`)
      return 0
    }
    io.err(`payall-terminal update: UNHEALTHY: ${outcome.to} did not report healthy within ${waitS} s; switched back to ${outcome.from}\n`)
    return 1
  } catch (error) {
    if (error instanceof UpdateError || error instanceof TerminalError) {
      io.err(`payall-terminal update: ${errorText(error)}\n`)
      return 1
    }
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      io.err(`payall-terminal update: no bundle at ${bundlePath}\n`)
      return 1
    }
    throw error
  }
}
