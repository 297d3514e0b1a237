// The releases on a gateway as deploy/pi/install.sh lays them out: ROOT/releases/VERSION, one folder
// per installed version, and ROOT/current, a symlink to the one the service runs. Switching is one
// rename of a fresh symlink over `current`, so a power cut leaves either release current, never none.

import { existsSync, readlinkSync, renameSync, rmSync, symlinkSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { isProtocolError } from '../../protocol/errors'
import { releaseNumbers } from '../../protocol/messages/update-manifest'
import { UpdateError } from './errors'

/** Where deploy/pi/install.sh installs. */
export const RELEASES_ROOT_DEFAULT = '/opt/payall'

export class Releases {
  readonly root: string

  constructor(root: string) {
    this.root = resolve(root)
  }

  releaseDir(version: string): string {
    releaseNumbers(version)
    return join(this.root, 'releases', version)
  }

  /** The version `current` points at; NO_CURRENT_RELEASE when it points at no release folder of a version. */
  currentVersion(): string {
    const link = join(this.root, 'current')
    let target: string
    try {
      target = resolve(this.root, readlinkSync(link))
    } catch (error) {
      throw new UpdateError('NO_CURRENT_RELEASE', `${link} is not a symlink to a release (${(error as NodeJS.ErrnoException).code})`)
    }
    const version = basename(target)
    try {
      if (dirname(target) !== join(this.root, 'releases')) throw new UpdateError('NO_CURRENT_RELEASE', `${link} points outside ${join(this.root, 'releases')}`)
      releaseNumbers(version)
    } catch (error) {
      if (isProtocolError(error)) throw new UpdateError('NO_CURRENT_RELEASE', `${link} points at ${target}, not a release version`)
      throw error
    }
    if (!existsSync(target)) throw new UpdateError('NO_CURRENT_RELEASE', `${link} points at ${target}, which is missing`)
    return version
  }

  /** Points `current` at an installed release, atomically. */
  switchTo(version: string): void {
    const target = this.releaseDir(version)
    if (!existsSync(target)) throw new UpdateError('NO_CURRENT_RELEASE', `no release ${version} at ${target}`)
    const fresh = join(this.root, 'current.new')
    rmSync(fresh, { force: true })
    symlinkSync(target, fresh)
    renameSync(fresh, join(this.root, 'current'))
  }

  /**
   * Installs `version` beside the running release with `install` (into a folder of its own, renamed
   * into place once whole); a folder of that version left by an earlier attempt is replaced.
   */
  async install(version: string, install: (directory: string) => Promise<void>): Promise<void> {
    const target = this.releaseDir(version)
    const partial = `${target}.new`
    rmSync(partial, { recursive: true, force: true })
    try {
      await install(partial)
    } catch (error) {
      rmSync(partial, { recursive: true, force: true })
      throw new UpdateError('INSTALL_FAILED', `installing ${version} failed: ${(error as Error).message}`, { cause: error })
    }
    rmSync(target, { recursive: true, force: true })
    renameSync(partial, target)
  }
}
