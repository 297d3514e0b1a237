// Why an update was refused or undone, as codes the CLI (and a test) switches on. A refusal changes
// nothing: the running release stays current and nothing is left of the bundle.

import { CodedError } from '../../protocol/errors'

export type UpdateErrorCode =
  /** The hub has not published an update key to this gateway yet: no bundle can be trusted. */
  | 'NO_UPDATE_KEY'
  /** Not a bundle: no magic, or a manifest that does not decode. */
  | 'MALFORMED_BUNDLE'
  /** The manifest is not signed by the update key the hub published. */
  | 'BAD_SIGNATURE'
  /** The package is not the one the manifest describes (hash or size). */
  | 'TAMPERED'
  /** The bundle's version is not newer than the running one. */
  | 'NOT_NEWER'
  /** The release layout is not as deploy/pi/install.sh leaves it (no `current` release). */
  | 'NO_CURRENT_RELEASE'
  /** Installing the package beside the running release failed; the running release stays. */
  | 'INSTALL_FAILED'

export class UpdateError extends CodedError<UpdateErrorCode> {
  override readonly name = 'UpdateError'
}
