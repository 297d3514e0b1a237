// The hub's update key (issue 20): an Ed25519 key of its own, in <dataDir>/update-key (0600), that signs
// update bundles; the hub's key vouches for it in an UpdateKey message published retained to every
// gateway. The hub's key itself never signs code.

import { join } from 'node:path'
import type { RandomBytes } from '../../protocol/clock'
import { updateKeyCodec } from '../../protocol/messages/update-key'
import { SECRET_KEY_BYTES, type KeyPair } from '../../protocol/signature/ed25519'
import { nodeEd25519 } from '../../protocol/signature/node'
import { loadOrCreateSecretFile } from '../keys'

const UPDATE_KEY_FILE = 'update-key'
/** The serial of the one update key a hub keeps; a replaced key would be published under the next serial. */
const UPDATE_KEY_SERIAL = 1

/** The update key pair from <dataDir>/update-key, a 32-byte seed created (mode 0600) on first use. */
export function loadOrCreateUpdateKeys(dataDir: string, random: RandomBytes): KeyPair {
  return nodeEd25519.keyPairFromSeed(loadOrCreateSecretFile(join(dataDir, UPDATE_KEY_FILE), SECRET_KEY_BYTES, random))
}

/** The UpdateKey message gateways receive: the update key's public half, signed by the hub's key. */
export function signedUpdateKey(hubKeys: KeyPair, updateKeys: KeyPair, now_ms: number): Uint8Array {
  return updateKeyCodec.encode(updateKeyCodec.sign(
    { serial: UPDATE_KEY_SERIAL, issuedAtMs: now_ms, publicKey: updateKeys.publicKey }, hubKeys.secretKey, nodeEd25519,
  ))
}
