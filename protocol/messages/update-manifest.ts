// UpdateManifest: what an update bundle holds (the packed project's version, its SHA-256 and size),
// signed with the update key (see update-key.ts). protocol/update-bundle.ts puts it before the package.

import { MessageType } from '../codec'
import { ProtocolError } from '../errors'
import { defineSignedMessage, type Signed } from './define'
import { HASH_BYTES, readText, writeText } from './fields'

/** MAJOR.MINOR.PATCH, each a whole number without leading zeros: what `npm version` makes of a release. */
const VERSION_PATTERN = /^(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})$/
const VERSION_BYTES_MAX = 32

export interface UpdateManifestBody {
  version: string
  packageSha256: Uint8Array
  packageBytes: number
  issuedAtMs: number
}
export type UpdateManifest = Signed<UpdateManifestBody>

/** The version's three numbers, or BAD_VALUE: only plain releases are installed, never pre-releases. */
export function releaseNumbers(version: string): [number, number, number] {
  const match = VERSION_PATTERN.exec(version)
  if (match === null) throw new ProtocolError('BAD_VALUE', `a release version is MAJOR.MINOR.PATCH, got ${JSON.stringify(version.slice(0, 40))}`)
  return [Number(match[1]), Number(match[2]), Number(match[3])]
}

/** Negative when `a` is older than `b`, 0 when the same, positive when newer. */
export function compareReleases(a: string, b: string): number {
  const [x, y] = [releaseNumbers(a), releaseNumbers(b)]
  return x[0] - y[0] || x[1] - y[1] || x[2] - y[2]
}

export const updateManifestCodec = defineSignedMessage<UpdateManifestBody>({
  type: MessageType.UpdateManifest,
  name: 'UpdateManifest',
  body_bytes_max: 2 + VERSION_BYTES_MAX + HASH_BYTES + 4 + 8,
  writeBody(writer, value) {
    releaseNumbers(value.version)
    writeText(writer, value.version, VERSION_BYTES_MAX, 'version')
    writer.fixed(value.packageSha256, HASH_BYTES, 'packageSha256').u32(value.packageBytes).u64(value.issuedAtMs)
  },
  readBody(reader) {
    const version = readText(reader, VERSION_BYTES_MAX, 'version')
    releaseNumbers(version)
    return { version, packageSha256: reader.fixed(HASH_BYTES, 'packageSha256'), packageBytes: reader.u32('packageBytes'), issuedAtMs: reader.u64('issuedAtMs') }
  },
})
