// `payall-terminal update BUNDLE` as logic over injected parts: the bundle is judged (a refusal changes
// nothing), installed beside the running release, switched to and the service restarted; if the new
// release does not report healthy within the wait, `current` goes back and the service restarts again.

import type { Clock } from '../../protocol/clock'
import type { Ed25519 } from '../../protocol/signature/ed25519'
import { judgeBundle } from './judge-bundle'
import type { Releases } from './releases'

/** The machine's side of an update; deploy/pi's in system-update.ts, fakes in tests. */
export interface UpdateSystem {
  /** Installs the packed project and its production dependencies into `directory` (which does not exist yet). */
  install(packageBytes: Uint8Array, directory: string): Promise<void>
  /** Restarts the service on the release `current` points at. */
  restart(): Promise<void>
  /** Whether the service, restarted, reports healthy now. */
  healthy(): Promise<boolean>
}

export interface UpdateOptions {
  readonly releases: Releases
  readonly system: UpdateSystem
  readonly clock: Clock
  readonly ed25519: Ed25519
  /** How long the new release has to report healthy before the switch is undone. */
  readonly healthWaitMs: number
  /** Pause between two health checks. */
  readonly healthPollMs: number
}

export type UpdateOutcome =
  | { readonly kind: 'updated'; readonly from: string; readonly to: string }
  /** The new release did not report healthy in time: the old one is current again and restarted. */
  | { readonly kind: 'rolled-back'; readonly from: string; readonly to: string }

export async function applyUpdate(bundleBytes: Uint8Array, updateKey: Uint8Array | undefined, options: UpdateOptions): Promise<UpdateOutcome> {
  const { releases, system } = options
  const from = releases.currentVersion()
  const bundle = judgeBundle(bundleBytes, updateKey, from, options.ed25519)
  const to = bundle.manifest.version
  await releases.install(to, directory => system.install(bundle.package, directory))
  releases.switchTo(to)
  // A restart that fails is a release that is not healthy: the switch is undone all the same.
  if (await system.restart().then(() => reportsHealthy(options), () => false)) return { kind: 'updated', from, to }
  releases.switchTo(from)
  await system.restart()
  return { kind: 'rolled-back', from, to }
}

/** Polls the health check until it says healthy or the wait is over (at most healthWaitMs / healthPollMs + 1 checks). */
async function reportsHealthy({ system, clock, healthWaitMs, healthPollMs }: UpdateOptions): Promise<boolean> {
  const deadline_ms = clock.now_ms() + healthWaitMs
  for (;;) {
    if (await system.healthy()) return true
    if (clock.now_ms() + healthPollMs > deadline_ms) return false
    await new Promise<void>(resolve => clock.setTimer(resolve, healthPollMs))
  }
}
