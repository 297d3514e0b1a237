// Whether a gateway takes an update bundle: signed by the update key the hub published, its package
// exactly the one the manifest describes, and newer than the running release. Pure; throws UpdateError.

import { equalBytes, sha256 } from '../../protocol/bytes'
import { isProtocolError } from '../../protocol/errors'
import { compareReleases, updateManifestCodec } from '../../protocol/messages/update-manifest'
import type { Ed25519 } from '../../protocol/signature/ed25519'
import { decodeUpdateBundle, type UpdateBundle } from '../../protocol/update-bundle'
import { UpdateError } from './errors'

export function judgeBundle(bytes: Uint8Array, updateKey: Uint8Array | undefined, runningVersion: string, ed25519: Ed25519): UpdateBundle {
  if (updateKey === undefined) throw new UpdateError('NO_UPDATE_KEY', 'the hub has published no update key to this gateway yet: connect it to its hub first')
  let bundle: UpdateBundle
  try {
    bundle = decodeUpdateBundle(bytes)
  } catch (error) {
    if (isProtocolError(error)) throw new UpdateError('MALFORMED_BUNDLE', `not an update bundle: ${error.message}`, { cause: error })
    throw error
  }
  const { manifest } = bundle
  if (!updateManifestCodec.verify(manifest, updateKey, ed25519)) {
    throw new UpdateError('BAD_SIGNATURE', 'the bundle is not signed by the update key the hub published')
  }
  if (bundle.package.length !== manifest.packageBytes || !equalBytes(sha256(bundle.package), manifest.packageSha256)) {
    throw new UpdateError('TAMPERED', `the package is not the one the signed manifest describes (${bundle.package.length} bytes, ${manifest.packageBytes} signed)`)
  }
  if (compareReleases(manifest.version, runningVersion) <= 0) {
    throw new UpdateError('NOT_NEWER', `the bundle holds ${manifest.version}, not newer than the running ${runningVersion}: a downgrade is refused`)
  }
  return bundle
}
