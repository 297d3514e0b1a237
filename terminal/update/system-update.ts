// The UpdateSystem of a gateway installed by deploy/pi/install.sh: the package installed as that script
// installs it (npm, production dependencies only, the project's allowScripts at the root), the systemd
// service restarted (Type=notify: the restart returns once the new process said READY=1, or fails),
// and healthy meaning the service is active.

import { execFile } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { promisify } from 'node:util'
import type { UpdateSystem } from './updater'

const run = promisify(execFile)
const SERVICE = 'payall-terminal'
/** npm install of the production dependencies, native builds included, on a Pi Zero 2 W. */
const INSTALL_TIMEOUT_MS = 30 * 60_000
/** Above the unit's TimeoutStartSec (120 s): systemd gives up first and says why. */
const RESTART_TIMEOUT_MS = 150_000
const STATUS_TIMEOUT_MS = 10_000

export const systemUpdate: UpdateSystem = {
  async install(packageBytes, directory) {
    const tarball = `${directory}.tgz`
    writeFileSync(tarball, packageBytes)
    try {
      mkdirSync(directory, { recursive: true })
      const { stdout } = await run('tar', ['-xzOf', tarball, 'package/package.json'], { maxBuffer: 1024 * 1024 })
      const { allowScripts } = JSON.parse(stdout) as { allowScripts?: unknown }
      writeFileSync(`${directory}/package.json`, JSON.stringify({ name: 'payall-gateway', private: true, allowScripts }, null, 2))
      await run('npm', ['install', '--prefix', directory, '--omit=dev', '--no-audit', '--no-fund', tarball], { timeout: INSTALL_TIMEOUT_MS })
    } finally {
      rmSync(tarball, { force: true })
    }
  },
  async restart() {
    await run('systemctl', ['restart', SERVICE], { timeout: RESTART_TIMEOUT_MS })
  },
  async healthy() {
    const { stdout } = await run('systemctl', ['is-active', SERVICE], { timeout: STATUS_TIMEOUT_MS }).catch(() => ({ stdout: '' }))
    return stdout.trim() === 'active'
  },
}
