// The version of a packed project (`npm pack`): package/package.json read out of the gzipped tar, as
// deploy/pi/install.sh reads it, without unpacking anything to disk.

import { gunzipSync } from 'node:zlib'
import { CodedError } from '../../protocol/errors'

const BLOCK_BYTES = 512
const PACKAGE_JSON = 'package/package.json'
/** An unpacked project is tens of megabytes at most; more is not a package of ours. */
const UNPACKED_BYTES_MAX = 512 * 1024 * 1024

export class PackageError extends CodedError<'NOT_A_PACKAGE'> {
  override readonly name = 'PackageError'
}

function field(header: Uint8Array, from: number, length: number): string {
  const bytes = header.subarray(from, from + length)
  const end = bytes.indexOf(0)
  return Buffer.from(end < 0 ? bytes : bytes.subarray(0, end)).toString('utf8')
}

/** The `version` of the package.json inside `tarball`, or NOT_A_PACKAGE. */
export function packageVersion(tarball: Uint8Array): string {
  let tar: Buffer
  try {
    tar = gunzipSync(tarball, { maxOutputLength: UNPACKED_BYTES_MAX })
  } catch (error) {
    throw new PackageError('NOT_A_PACKAGE', `not a gzipped package: ${(error as Error).message}`)
  }
  // Bounded by the archive: each step moves past one header and its data.
  for (let at = 0; at + BLOCK_BYTES <= tar.length;) {
    const header = tar.subarray(at, at + BLOCK_BYTES)
    if (header.every(byte => byte === 0)) break
    const prefix = field(header, 345, 155)
    const name = prefix === '' ? field(header, 0, 100) : `${prefix}/${field(header, 0, 100)}`
    const size_bytes = parseInt(field(header, 124, 12).trim() || '0', 8)
    if (!Number.isSafeInteger(size_bytes) || size_bytes < 0) break
    const data = at + BLOCK_BYTES
    if (name === PACKAGE_JSON) {
      let manifest: unknown
      try {
        manifest = JSON.parse(tar.subarray(data, data + size_bytes).toString('utf8'))
      } catch {
        throw new PackageError('NOT_A_PACKAGE', `${PACKAGE_JSON} is not JSON`)
      }
      const version = (manifest as { version?: unknown } | null)?.version
      if (typeof version !== 'string') throw new PackageError('NOT_A_PACKAGE', `${PACKAGE_JSON} has no version`)
      return version
    }
    at = data + Math.ceil(size_bytes / BLOCK_BYTES) * BLOCK_BYTES
  }
  throw new PackageError('NOT_A_PACKAGE', `no ${PACKAGE_JSON} in the package: pack the project with npm pack`)
}
