// The hub's master key for documents at rest: 32 random bytes in <dataDir>/kyc-master-key (mode 0600),
// created on first use, kept like the hub's other secrets (hub/keys.ts).

import { join } from 'node:path'
import type { RandomBytes } from '../../protocol/clock'
import { loadOrCreateSecretFile } from '../keys'

export const KYC_MASTER_KEY_FILE = 'kyc-master-key'
const MASTER_KEY_BYTES = 32

export function loadOrCreateKycMasterKey(dataDir: string, random: RandomBytes): Uint8Array {
  return loadOrCreateSecretFile(join(dataDir, KYC_MASTER_KEY_FILE), MASTER_KEY_BYTES, random)
}
