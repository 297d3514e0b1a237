// Canonical JSON and the content hash of a request: how the ledger tells a retry ('exists')
// from a different request that reuses an id ('conflict').

import { hash } from 'node:crypto'
import { LedgerError } from './errors'
import type { JsonValue, SettleFromHoldInput } from './model'

const METADATA_DEPTH_MAX = 8
export const METADATA_LENGTH_MAX_CHARS = 4_096

/** JSON with object keys sorted at every level; refuses what JSON cannot carry exactly. */
export function canonicalJson(value: JsonValue): string {
  return encode(value, 0)
}

/** SHA-256 of the request's canonical JSON as UTF-8, in lowercase hex. Stored with every transfer: it must never change. */
export function contentSha256(request: JsonValue): string {
  // crypto.hash: the one-shot form, without a Hash object per transfer (it hashes the string as UTF-8).
  return hash('sha256', canonicalJson(request), 'hex')
}

/** What a settle_from_hold request's content hash covers, besides its metadata. */
type SettleFromHoldFields = Omit<SettleFromHoldInput, 'transferId' | 'metadata'>

/**
 * contentSha256 of `{ operation: 'settle_from_hold', ...fields, metadata }`, its canonical JSON written out in
 * key order without building the object and sorting its keys: settlement's hot path. `metadataJson` is
 * canonicalJson of the metadata, or 'null'. test/hub/ledger/content.test.ts holds the two equal.
 */
export function settleFromHoldSha256(fields: SettleFromHoldFields, metadataJson: string): string {
  const json = `{"amountMinor":${encode(fields.amountMinor, 0)},"feeScheduleId":${JSON.stringify(fields.feeScheduleId)},`
    + `"gatewayEui":${JSON.stringify(fields.gatewayEui)},"merchantAccountId":${JSON.stringify(fields.merchantAccountId)},`
    + `"metadata":${metadataJson},"operation":"settle_from_hold","ownerAccountId":${JSON.stringify(fields.ownerAccountId)},`
    + `"voucherId":${JSON.stringify(fields.voucherId)}}`
  return hash('sha256', json, 'hex')
}

function encode(value: JsonValue, depth: number): string {
  if (depth > METADATA_DEPTH_MAX) throw new LedgerError('INVALID_TRANSFER', `JSON nests deeper than ${METADATA_DEPTH_MAX}`)
  if (value === null) return 'null'
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false'
    case 'number':
      if (!Number.isFinite(value)) throw new LedgerError('INVALID_TRANSFER', `JSON cannot carry ${value}`)
      return JSON.stringify(value)
    case 'string':
      return JSON.stringify(value)
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((item: JsonValue) => encode(item, depth + 1)).join(',')}]`
      if (Object.getPrototypeOf(value) !== Object.prototype) {
        throw new LedgerError('INVALID_TRANSFER', 'JSON objects must be plain objects')
      }
      const record = value as { readonly [key: string]: JsonValue }
      const members = Object.keys(record).sort().map((key) => `${JSON.stringify(key)}:${encode(record[key]!, depth + 1)}`)
      return `{${members.join(',')}}`
    }
    default:
      throw new LedgerError('INVALID_TRANSFER', `JSON cannot carry a ${typeof value}`)
  }
}
