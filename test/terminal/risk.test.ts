import t from 'tap'
import fc from 'fast-check'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { authorizationCodec, type AuthorizationBody } from '../../protocol/messages/authorization'
import { PaymentMode } from '../../protocol/messages/transfer-record'
import { REASONS, Reason, reasonName } from '../../protocol/reasons'
import { nodeEd25519 } from '../../protocol/signature/node'
import { toHex } from '../../protocol/bytes'
import { checkAnswer, checkOffline, limitsLeft, type OfflineCheckInput, type SentRequest } from '../../terminal/risk'
import { LANGUAGES, reasonText } from '../../terminal/texts'
import { CURRENCY, EUI, HUB, OTHER_HUB, T0, issueVoucher, keysOf, limits, provisionedStore, signedConfig } from './fixtures'
import { DAY_MS, HOUR_MS } from '../../protocol/clock'

const DEVICE = keysOf(21)
const OTHER_DEVICE = keysOf(22)
const NONCE = new Uint8Array(16).fill(9)

function scenario(): OfflineCheckInput {
  const request: SentRequest = { gatewayEui: EUI, amountMinor: 5_000, currency: CURRENCY, nonce: NONCE, timeMs: T0 }
  const voucher = issueVoucher(DEVICE, { limitMinor: 100_000 })
  const authorization = authorizationCodec.sign({
    voucherId: voucher.voucherId, seq: 3, cumulativeMinor: 25_000, amountMinor: 5_000, currency: CURRENCY,
    gatewayEui: EUI, nonce: NONCE, timeMs: T0,
  }, DEVICE.secretKey, nodeEd25519)
  return {
    request, requestOpen: true, response: { voucher, authorization }, hubPublicKey: HUB.publicKey,
    clockSkewMaxMs: 5 * 60_000, revoked: false, seen: { highestSeq: 2, cumulativeMinor: 20_000, consecutiveOffline: 1 },
    nowMs: T0, ed25519: nodeEd25519, limits: limits(),
    exposure: { unsyncedCount: 3, unsyncedTotalMinor: 30_000, oldestUnsyncedTimeMs: T0 - HOUR_MS },
  }
}

/** The scenario with the authorization re-signed after `change`, by `signer`. */
function authorizing(input: OfflineCheckInput, change: Partial<AuthorizationBody>, signer = DEVICE): OfflineCheckInput {
  const { signature: _signature, ...body } = input.response.authorization
  const authorization = authorizationCodec.sign({ ...body, ...change }, signer.secretKey, nodeEd25519)
  return { ...input, response: { ...input.response, authorization } }
}

const declines: Array<[string, Reason, (input: OfflineCheckInput) => OfflineCheckInput]> = [
  ['declines a voucher signed by another hub\'s key', Reason.BadHubSignature, input => {
    const voucher = issueVoucher(DEVICE, {}, OTHER_HUB)
    return authorizing({ ...input, response: { ...input.response, voucher } }, { voucherId: voucher.voucherId })
  }],
  ['declines an expired voucher', Reason.VoucherExpired, input => ({ ...input, nowMs: T0 + 8 * DAY_MS })],
  ['declines a voucher not valid yet beyond the clock skew', Reason.VoucherNotYetValid, input => ({ ...input, nowMs: T0 - 2 * HOUR_MS })],
  ['declines a voucher not valid yet at the request\'s time, the clock set right before the answer', Reason.VoucherNotYetValid, input =>
    authorizing({ ...input, request: { ...input.request, timeMs: T0 - 2 * HOUR_MS } }, { timeMs: T0 - 2 * HOUR_MS })],
  ['declines a voucher expired at the request\'s time, the clock set back before the answer', Reason.VoucherExpired, input =>
    authorizing({ ...input, request: { ...input.request, timeMs: T0 + 8 * DAY_MS } }, { timeMs: T0 + 8 * DAY_MS })],
  ['declines a revoked voucher', Reason.VoucherRevoked, input => ({ ...input, revoked: true })],
  ['declines an authorization signed by another device', Reason.BadCustomerSignature, input => authorizing(input, {}, OTHER_DEVICE)],
  ['declines a replayed nonce', Reason.NonceMismatch, input => authorizing(input, { nonce: new Uint8Array(16).fill(1) })],
  ['declines the answer to a request no longer open', Reason.NonceMismatch, input => ({ ...input, requestOpen: false })],
  ['declines an authorization for another gateway', Reason.WrongGateway, input => authorizing(input, { gatewayEui: '70B3D57ED00000FF' })],
  ['declines another currency', Reason.CurrencyMismatch, input => authorizing(input, { currency: 'EUR' })],
  ['declines another amount than requested', Reason.AmountMismatch, input => authorizing(input, { amountMinor: 4_000, cumulativeMinor: 24_000 })],
  ['declines another time than requested', Reason.ClockSkew, input => authorizing(input, { timeMs: T0 - 1 })],
  ['declines a seq already seen', Reason.SeqReplayed, input => authorizing(input, { seq: 2 })],
  ['declines a cumulative over the voucher limit', Reason.OverVoucherLimit, input => authorizing(input, { cumulativeMinor: 100_001 })],
  ['declines a cumulative below what was seen', Reason.CumulativeMismatch, input => authorizing(input, { cumulativeMinor: 24_000 })],
  ['declines an amount over the floor limit', Reason.OverFloorLimit, input => ({ ...input, limits: limits({ floorLimitMinor: 4_999 }) })],
  ['declines past the unsynced count cap', Reason.UnsyncedCountExceeded, input => ({ ...input, exposure: { ...input.exposure, unsyncedCount: 20 } })],
  ['declines past the unsynced total cap', Reason.UnsyncedTotalExceeded, input => ({ ...input, exposure: { ...input.exposure, unsyncedTotalMinor: 195_001 } })],
  ['declines past consecutive offline payments of one voucher', Reason.ConsecutiveOfflineExceeded, input => ({
    ...input, seen: { ...input.seen!, consecutiveOffline: 5 },
  })],
  ['declines once the oldest unsynced record passed the upload deadline', Reason.UploadDeadlinePassed, input => ({
    ...input, exposure: { ...input.exposure, oldestUnsyncedTimeMs: T0 - DAY_MS - 1 },
  })],
]

t.test('approves a fresh authorization under a valid voucher within every limit', async t => {
  t.same(checkOffline(scenario()), { ok: true })
  t.same(checkOffline({ ...scenario(), seen: undefined }), { ok: true }, 'a voucher seen for the first time')
})

for (const [name, reason, change] of declines) {
  t.test(name, async t => {
    const verdict = checkOffline(change(scenario()))
    t.equal(verdict.ok, false)
    if (!verdict.ok) {
      t.equal(reasonName(verdict.reason), reasonName(reason))
      t.ok(verdict.detail.length > 0, 'with a detail for the log')
    }
  })
}

t.test('online payments skip the offline limits but not the authenticity checks', async t => {
  const overLimits = { ...scenario(), limits: limits({ floorLimitMinor: 1 }), exposure: { unsyncedCount: 99, unsyncedTotalMinor: 0, oldestUnsyncedTimeMs: 0 } }
  t.same(checkAnswer(overLimits), { ok: true })
  const replayed = checkAnswer(authorizing(scenario(), { nonce: new Uint8Array(16) }))
  t.equal(replayed.ok ? Reason.None : replayed.reason, Reason.NonceMismatch)
})

t.test('every reason has an English and a French message for the merchant', async t => {
  for (const reason of REASONS) {
    for (const language of LANGUAGES) t.ok(reasonText(reason, language).length > 5, `${reasonName(reason)} ${language}`)
    t.not(reasonText(reason, 'en'), reasonText(reason, 'fr'), `${reasonName(reason)} is translated`)
  }
})

t.test('limits left: what the gateway can still take offline, and until when', async t => {
  t.same(limitsLeft(limits(), { unsyncedCount: 3, unsyncedTotalMinor: 30_000, oldestUnsyncedTimeMs: T0 - HOUR_MS }, T0), {
    unsyncedTotalLeftMinor: 170_000, unsyncedCountLeft: 17, uploadDeadlineLeftMs: 23 * HOUR_MS,
  })
  t.equal(limitsLeft(limits(), { unsyncedCount: 0, unsyncedTotalMinor: 0, oldestUnsyncedTimeMs: null }, T0).uploadDeadlineLeftMs, null)
})

t.test('approved offline records never exceed a voucher\'s limit, whatever a cloned phone signs', async t => {
  const VOUCHER_LIMIT = 60_000
  const devices = [keysOf(31), keysOf(32)]
  const vouchers = devices.map(device => issueVoucher(device, { limitMinor: VOUCHER_LIMIT }))
  const attempt = fc.record({
    voucher: fc.integer({ min: 0, max: 1 }),
    seq: fc.integer({ min: 1, max: 12 }),
    amountMinor: fc.integer({ min: 1, max: 40_000 }),
    extraMinor: fc.integer({ min: 0, max: 80_000 }),
  })
  await fc.assert(fc.asyncProperty(fc.array(attempt, { minLength: 1, maxLength: 25 }), async attempts => {
    const dir = mkdtempSync(join(tmpdir(), 'payall-risk-'))
    const store = provisionedStore(dir, signedConfig({
      floorLimitMinor: 50_000, unsyncedTotalMaxMinor: 10_000_000, unsyncedCountMax: 1_000, consecutiveOfflineMax: 1_000,
    }))
    try {
      for (const [index, a] of attempts.entries()) {
        const voucher = vouchers[a.voucher]!
        const nonce = new Uint8Array(16)
        new DataView(nonce.buffer).setUint32(0, index + 1)
        const request: SentRequest = { gatewayEui: EUI, amountMinor: a.amountMinor, currency: CURRENCY, nonce, timeMs: T0 }
        store.openRequest(request)
        const authorization = authorizationCodec.sign({
          voucherId: voucher.voucherId, seq: a.seq, cumulativeMinor: a.amountMinor + a.extraMinor, amountMinor: a.amountMinor,
          currency: CURRENCY, gatewayEui: EUI, nonce, timeMs: T0,
        }, devices[a.voucher]!.secretKey, nodeEd25519)
        const config = store.riskConfig()!
        const verdict = checkOffline({
          request, requestOpen: store.isRequestOpen(nonce), response: { voucher, authorization }, hubPublicKey: HUB.publicKey,
          clockSkewMaxMs: config.clockSkewMaxMs, revoked: false, seen: store.voucherSeen(voucher.voucherId), nowMs: T0,
          ed25519: nodeEd25519, limits: config, exposure: store.exposure(CURRENCY),
        })
        if (verdict.ok) store.appendPayment({ authorization, voucher, mode: PaymentMode.Offline, nowMs: T0 })
        else store.closeRequest(nonce)
      }
      const approved = new Map<string, number>()
      for (const record of store.recordsFrom(1, 1_000)) {
        approved.set(toHex(record.voucherId), (approved.get(toHex(record.voucherId)) ?? 0) + record.amountMinor)
      }
      for (const total of approved.values()) if (total > VOUCHER_LIMIT) return false
      return true
    } finally {
      store.close()
      rmSync(dir, { recursive: true, force: true })
    }
  }), { numRuns: 60 })
  t.pass('no voucher was charged beyond its limit')
})
