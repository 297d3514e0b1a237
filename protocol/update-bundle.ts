// An update bundle's bytes (issue 20): a magic, the UpdateManifest signed with the update key, then
// the packed project (`npm pack`) the manifest describes. The format only: whether a gateway takes
// one is terminal/update/judge-bundle.ts's to say.

import { Reader } from './codec'
import { equalBytes } from './bytes'
import { ProtocolError } from './errors'
import { updateManifestCodec, type UpdateManifest } from './messages/update-manifest'

const MAGIC = new TextEncoder().encode('PAYALLUP')

export interface UpdateBundle {
  readonly manifest: UpdateManifest
  /** The packed project, as the manifest's hash and size should describe it. */
  readonly package: Uint8Array
}

export function encodeUpdateBundle(bundle: UpdateBundle): Uint8Array {
  const manifest = updateManifestCodec.encode(bundle.manifest)
  const out = new Uint8Array(MAGIC.length + manifest.length + bundle.package.length)
  out.set(MAGIC, 0)
  out.set(manifest, MAGIC.length)
  out.set(bundle.package, MAGIC.length + manifest.length)
  return out
}

export function decodeUpdateBundle(bytes: Uint8Array): UpdateBundle {
  if (!(bytes instanceof Uint8Array) || bytes.length < MAGIC.length || !equalBytes(bytes.subarray(0, MAGIC.length), MAGIC)) {
    throw new ProtocolError('BAD_VALUE', 'not a PayAll update bundle (no PAYALLUP magic)')
  }
  const reader = new Reader(bytes.subarray(MAGIC.length))
  const manifest = updateManifestCodec.read(reader)
  return { manifest, package: bytes.slice(MAGIC.length + reader.position) }
}
