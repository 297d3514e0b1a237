// Protocol figures: raw Ed25519 verify rates on one core, and the sizes of the budgeted messages.

import { authorizationCodec } from '../protocol/messages/authorization'
import { commitmentFrameCodec } from '../protocol/messages/commitment-frame'
import { GENESIS_HASH, PaymentMode, transferRecordCodec } from '../protocol/messages/transfer-record'
import { nodeEd25519 } from '../protocol/signature/node'
import { tweetnaclEd25519 } from '../protocol/signature/tweetnacl'
import { measureVerifyRate } from '../protocol/signature/verify-rate'
import { round, type Metric } from './metric'

const VERIFY_DURATION_MS = 1500

export async function benchProtocol(): Promise<Metric[]> {
  const tweetnaclRate = measureVerifyRate(tweetnaclEd25519, VERIFY_DURATION_MS)
  const nodeRate = measureVerifyRate(nodeEd25519, VERIFY_DURATION_MS)

  const phone = nodeEd25519.keyPairFromSeed(new Uint8Array(32).fill(1))
  const authorization = authorizationCodec.sign(
    {
      voucherId: new Uint8Array(16), seq: 1, cumulativeMinor: 1250, amountMinor: 1250, currency: 'EUR',
      gatewayEui: '0011223344556677', nonce: new Uint8Array(16), timeMs: Date.UTC(2026, 10, 27),
    },
    phone.secretKey,
    nodeEd25519,
  )
  const record = transferRecordCodec.encode({
    mode: PaymentMode.Offline, gatewaySeq: 1, previousHash: GENESIS_HASH, authorization,
  })
  const frame = commitmentFrameCodec.encode({
    gatewaySeq: 1, unsyncedCount: 1, unsyncedAmountMinor: 1250, currency: 'EUR',
    headPrefix: new Uint8Array(16), timeS: 1_800_000_000,
  })
  return [
    { name: 'ed25519_verify_tweetnacl_per_s_one_core', value: Math.round(tweetnaclRate), unit: 'verifications/s' },
    { name: 'ed25519_verify_node_per_s_one_core', value: Math.round(nodeRate), unit: 'verifications/s' },
    { name: 'ed25519_verify_node_to_tweetnacl_ratio', value: round(nodeRate / tweetnaclRate, 2), unit: 'ratio' },
    { name: 'signed_transfer_record_bytes', value: record.length, unit: 'bytes' },
    { name: 'transfer_record_budget_bytes', value: 200, unit: 'bytes' },
    { name: 'commitment_frame_bytes', value: frame.length, unit: 'bytes' },
    { name: 'commitment_frame_budget_bytes', value: 51, unit: 'bytes' },
  ]
}
