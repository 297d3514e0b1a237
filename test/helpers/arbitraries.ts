// fast-check generators for every protocol message, shared by the protocol tests.

import fc from 'fast-check'
import { allCurrencies } from '../../protocol/money'
import { euiFromBytes } from '../../protocol/eui'
import { OnlinePolicy } from '../../protocol/messages/risk-config'
import { PaymentMode } from '../../protocol/messages/transfer-record'
import { AckOutcome } from '../../protocol/messages/ack'
import { REASONS } from '../../protocol/reasons'
import { canonicalVoucherIds } from '../../protocol/messages/revocation-list'

export const bytes = (length: number) => fc.uint8Array({ minLength: length, maxLength: length })
export const eui = bytes(8).map(euiFromBytes)
export const currency = fc.constantFrom(...allCurrencies().map(c => c.code))
export const amountMinor = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER })
export const timeMs = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })
export const u32 = fc.integer({ min: 0, max: 0xffffffff })
export const reason = fc.constantFrom(...REASONS)

export const voucherBody = fc.record({
  voucherId: bytes(16),
  accountRef: bytes(16),
  devicePublicKey: bytes(32),
  currency,
  limitMinor: amountMinor,
  issuedAtMs: timeMs,
  expiresAtMs: timeMs,
})

export const authorizationBody = fc
  .record({
    voucherId: bytes(16),
    seq: u32,
    amountMinor,
    extraMinor: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
    currency,
    gatewayEui: eui,
    nonce: bytes(16),
    timeMs,
  })
  .map(({ extraMinor, ...rest }) => ({
    ...rest,
    cumulativeMinor: Math.min(Number.MAX_SAFE_INTEGER, rest.amountMinor + extraMinor),
  }))

export const paymentRequest = fc.record({
  gatewayEui: eui,
  amountMinor,
  currency,
  nonce: bytes(16),
  timeMs,
  merchantName: fc.string({ maxLength: 10 }),
})

export const chainHeadBody = fc.record({
  gatewayEui: eui,
  gatewaySeq: u32,
  headHash: bytes(32),
  timeMs,
})

export const ackBody = fc.record({
  gatewayEui: eui,
  headSeq: u32,
  headHash: bytes(32),
  timeMs,
  entries: fc.array(
    fc.record({ gatewaySeq: u32, outcome: fc.constantFrom(...Object.values(AckOutcome)), reason }),
    { maxLength: 20 },
  ),
})

/** A list of one part (a part other than the last holds 4,096 ids: test/protocol/revocations.test.ts). */
export const revocationListBody = fc.record({
  serial: u32,
  issuedAtMs: timeMs,
  part: fc.constant(0),
  parts: fc.constant(1),
  voucherIds: fc.array(bytes(16), { maxLength: 20 }).map(canonicalVoucherIds),
})

const voucherIdSet = fc.array(bytes(16), { maxLength: 20 }).map(canonicalVoucherIds)

export const revocationDeltaBody = fc
  .record({ follows: fc.integer({ min: 0, max: 0xfffffffe }), step: fc.integer({ min: 1, max: 5 }), issuedAtMs: timeMs, added: voucherIdSet, removed: voucherIdSet })
  .map(({ follows, step, issuedAtMs, added, removed }) => {
    const addedHex = new Set(added.map(id => Buffer.from(id).toString('hex')))
    return {
      serial: Math.min(0xffffffff, follows + step), follows, issuedAtMs, added,
      removed: removed.filter(id => !addedHex.has(Buffer.from(id).toString('hex'))),
    }
  })

export const riskConfigBody = fc
  .record({
    gatewayEui: eui,
    serial: u32,
    issuedAtMs: timeMs,
    currency,
    floorLimitMinor: amountMinor,
    headroomMinor: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
    unsyncedCountMax: fc.integer({ min: 1, max: 0xffffffff }),
    consecutiveOfflineMax: fc.integer({ min: 1, max: 0xffff }),
    uploadDeadlineMs: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
    clockSkewMaxMs: u32,
    defaultPolicy: fc.constantFrom(...Object.values(OnlinePolicy)),
  })
  .map(({ headroomMinor, ...rest }) => ({
    ...rest,
    unsyncedTotalMaxMinor: Math.min(Number.MAX_SAFE_INTEGER, rest.floorLimitMinor + headroomMinor),
  }))

export const commitmentFrame = fc.record({
  gatewaySeq: u32,
  unsyncedCount: fc.integer({ min: 0, max: 0xffff }),
  unsyncedAmountMinor: fc.integer({ min: 0, max: 2 ** 48 - 1 }),
  currency,
  headPrefix: bytes(16),
  timeS: u32,
})

export const paymentMode = fc.constantFrom(...Object.values(PaymentMode))
