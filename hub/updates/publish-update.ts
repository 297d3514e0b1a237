// `payall-hub publish-update PACKAGE.tgz`: signs the packed project with the hub's update key into an
// update bundle (protocol/update-bundle.ts) that gateways install with `payall-terminal update`. The
// key it signs with is the one the hub publishes to every gateway, retained, vouched for by its own key.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { sha256, toHex } from '../../protocol/bytes'
import type { Clock, RandomBytes } from '../../protocol/clock'
import { errorText, isProtocolError } from '../../protocol/errors'
import { updateManifestCodec } from '../../protocol/messages/update-manifest'
import { nodeEd25519 } from '../../protocol/signature/node'
import { encodeUpdateBundle } from '../../protocol/update-bundle'
import { ConfigError, keysDirOf, parseConfigFields } from '../config'
import { KeyFileError } from '../keys'
import { PackageError, packageVersion } from './package-version'
import { loadOrCreateUpdateKeys } from './update-key'

export const PUBLISH_UPDATE_HELP = [
  'Update command:',
  '  payall-hub publish-update PACKAGE.tgz [--data-dir DIR] [--keys-dir DIR]',
  '      sign a packed project (npm pack) with the hub\'s update key into PACKAGE.bundle, which gateways',
  '      install with "payall-terminal update"; the hub publishes that key to them when it starts',
  '',
].join('\n')

export interface PublishUpdateIo {
  stdout: { write(text: string): unknown }
  stderr: { write(text: string): unknown }
  clock: Clock
  random: RandomBytes
}

export function publishUpdateCommand(argv: readonly string[], env: NodeJS.ProcessEnv, io: PublishUpdateIo): number {
  const [packagePath, ...flags] = argv
  if (packagePath === undefined || packagePath.startsWith('-')) {
    io.stderr.write(`payall-hub publish-update: give the PACKAGE.tgz first\n${PUBLISH_UPDATE_HELP}`)
    return 2
  }
  let keysDir: string
  try {
    keysDir = keysDirOf(parseConfigFields(flags, env, ['dataDir', 'keysDir']))
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    io.stderr.write(`payall-hub publish-update: ${errorText(error)}\n`)
    return 2
  }
  try {
    const pkg = new Uint8Array(readFileSync(packagePath))
    const version = packageVersion(pkg)
    mkdirSync(keysDir, { recursive: true, mode: 0o700 })
    const updateKeys = loadOrCreateUpdateKeys(keysDir, io.random)
    const manifest = updateManifestCodec.sign(
      { version, packageSha256: sha256(pkg), packageBytes: pkg.length, issuedAtMs: io.clock.now_ms() }, updateKeys.secretKey, nodeEd25519,
    )
    const bundlePath = join(dirname(packagePath), `${basename(packagePath).replace(/\.tgz$/, '')}.bundle`)
    writeFileSync(bundlePath, encodeUpdateBundle({ manifest, package: pkg }))
    io.stdout.write(`${bundlePath}: version ${version}, package sha256 ${toHex(manifest.packageSha256)}\n`
      + `signed with the update key ${toHex(updateKeys.publicKey)}\n`
      + `on a gateway: sudo payall-terminal update ${basename(bundlePath)}\n`)
    return 0
  } catch (error) {
    if (error instanceof PackageError || error instanceof KeyFileError || isProtocolError(error)) {
      io.stderr.write(`payall-hub publish-update: ${errorText(error)}\n`)
      return 1
    }
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      io.stderr.write(`payall-hub publish-update: no package at ${packagePath}\n`)
      return 1
    }
    throw error
  }
}
