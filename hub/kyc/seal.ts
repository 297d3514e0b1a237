// Documents at rest: tweetnacl secretbox (XSalsa20-Poly1305) under a key derived (HKDF-SHA256) from the
// master key and the document's id, so a ciphertext moved to another row no longer opens. Pure.

import { hkdfSync } from 'node:crypto'
import nacl from 'tweetnacl'
import { sha256, toHex } from '../../protocol/bytes'
import type { RandomBytes } from '../../protocol/clock'

const KEY_INFO = 'payall/kyc-document/v1'

export interface Sealed {
  readonly nonce: Uint8Array
  readonly ciphertext: Uint8Array
  /** Of the plaintext, checked again when it is opened. */
  readonly contentSha256: string
}

export function sealDocument(masterKey: Uint8Array, documentId: string, content: Uint8Array, random: RandomBytes): Sealed {
  const nonce = random(nacl.secretbox.nonceLength)
  const ciphertext = nacl.secretbox(content, nonce, documentKey(masterKey, documentId))
  return { nonce, ciphertext, contentSha256: toHex(sha256(content)) }
}

/** The plaintext, or undefined when the box does not open under this key and id (tampered, moved, wrong key). */
export function openDocument(masterKey: Uint8Array, documentId: string, sealed: Sealed): Uint8Array | undefined {
  const content = nacl.secretbox.open(sealed.ciphertext, sealed.nonce, documentKey(masterKey, documentId))
  if (content === null || toHex(sha256(content)) !== sealed.contentSha256) return undefined
  return content
}

function documentKey(masterKey: Uint8Array, documentId: string): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', masterKey, Buffer.from(documentId, 'utf8'), KEY_INFO, nacl.secretbox.keyLength))
}
