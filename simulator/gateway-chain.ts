// A simulated gateway's record chain: appends customer authorizations as hash-chained records
// and cuts signed batches out of it, byte for byte as a terminal would upload them.

import { appendRecord, CHAIN_START, type ChainPosition } from '../protocol/chain'
import type { Authorization } from '../protocol/messages/authorization'
import { chainHeadCodec } from '../protocol/messages/chain-head'
import { recordBatchCodec } from '../protocol/messages/record-batch'
import { PaymentMode, type TransferRecord } from '../protocol/messages/transfer-record'
import type { KeyPair } from '../protocol/signature/ed25519'
import { nodeEd25519 } from '../protocol/signature/node'

export class SimulatedGatewayChain {
  position: ChainPosition = CHAIN_START
  readonly records: TransferRecord[] = []

  constructor(readonly eui: string, readonly keys: KeyPair) {}

  append(authorization: Authorization, mode: PaymentMode = PaymentMode.Offline): TransferRecord {
    const next = appendRecord(this.position, authorization, mode)
    this.records.push(next.record)
    this.position = next.position
    return next.record
  }

  /** The encoded batch of records fromSeq..toSeq, closed by a chain head this gateway signs. */
  batch(fromSeq = 1, toSeq = this.position.gatewaySeq, time_ms = 0): Uint8Array {
    const records = this.records.slice(fromSeq - 1, toSeq)
    const last = records[records.length - 1]!
    // The hash of record toSeq is what the record after it links to (or the chain head).
    const headHash = toSeq === this.position.gatewaySeq ? this.position.hash : this.records[toSeq]!.previousHash
    const head = chainHeadCodec.sign(
      { gatewayEui: this.eui, gatewaySeq: last.gatewaySeq, headHash, timeMs: time_ms }, this.keys.secretKey, nodeEd25519,
    )
    return recordBatchCodec.encode({ gatewayEui: this.eui, records, head })
  }
}
