import t from 'tap'
import { OnlinePolicy, riskConfigCodec } from '../../../protocol/messages/risk-config'
import { nodeEd25519 } from '../../../protocol/signature/node'
import {
  RISK_CONFIG_SERIAL_MAX, applyRiskLimitsPatch, checkRiskLimits, defaultRiskLimits, nextRiskConfigBody, onlinePolicyByName,
  onlinePolicyName, riskLimitsOf,
} from '../../../hub/gateways/risk'

const EUI = '70B3D57ED0001A2B'
const outOfRange = { name: 'ProtocolError', code: 'OUT_OF_RANGE' }

t.test('XOF defaults: floor 50 000, unsynced total 500 000, 200 payments, 10 in a row, 24 h, 5 min, prefer online', async (t) => {
  t.same(defaultRiskLimits('XOF'), {
    currency: 'XOF',
    floorLimitMinor: 50_000,
    unsyncedTotalMaxMinor: 500_000,
    unsyncedCountMax: 200,
    consecutiveOfflineMax: 10,
    uploadDeadlineMs: 24 * 60 * 60 * 1000,
    clockSkewMaxMs: 5 * 60 * 1000,
    defaultPolicy: OnlinePolicy.PreferOnline,
  })
})

t.test('currencies with minor units default to 50 and 500 major units', async (t) => {
  t.match(defaultRiskLimits('EUR'), { floorLimitMinor: 5_000, unsyncedTotalMaxMinor: 50_000 })
  t.match(defaultRiskLimits('KWD'), { floorLimitMinor: 50_000, unsyncedTotalMaxMinor: 500_000 }, 'exponent 3')
  t.throws(() => defaultRiskLimits('ZZZ'), { code: 'UNKNOWN_CURRENCY' })
})

t.test('a patch changes only the fields it names', async (t) => {
  const limits = applyRiskLimitsPatch(defaultRiskLimits('XOF'), {
    floorLimitMinor: 10_000, defaultPolicy: OnlinePolicy.RequireOnline, unsyncedCountMax: undefined,
  })
  t.same(limits, { ...defaultRiskLimits('XOF'), floorLimitMinor: 10_000, defaultPolicy: OnlinePolicy.RequireOnline })
})

t.test('a floor limit above the unsynced total is refused', async (t) => {
  t.throws(() => applyRiskLimitsPatch(defaultRiskLimits('XOF'), { floorLimitMinor: 500_001 }), outOfRange)
  t.throws(() => applyRiskLimitsPatch(defaultRiskLimits('XOF'), { unsyncedTotalMaxMinor: 49_999 }), outOfRange)
  t.ok(applyRiskLimitsPatch(defaultRiskLimits('XOF'), { floorLimitMinor: 500_000 }), 'equal is allowed')
})

t.test('every limit is a positive integer within its field of the encoding', async (t) => {
  const base = defaultRiskLimits('XOF')
  for (const patch of [
    { unsyncedCountMax: 0 }, { consecutiveOfflineMax: -1 }, { uploadDeadlineMs: 1.5 }, { clockSkewMaxMs: 0 },
    { floorLimitMinor: 0 }, { consecutiveOfflineMax: 0x1_0000 }, { unsyncedCountMax: 0x1_0000_0000 },
    { defaultPolicy: 7 as OnlinePolicy },
  ]) {
    t.throws(() => applyRiskLimitsPatch(base, patch), outOfRange, JSON.stringify(patch))
  }
  t.throws(() => checkRiskLimits({ ...base, currency: 'ZZZ' }), { code: 'UNKNOWN_CURRENCY' })
})

t.test('the next config body takes the previous serial plus one and encodes and signs as a RiskConfig', async (t) => {
  const body = nextRiskConfigBody(EUI, defaultRiskLimits('EUR'), 4, 1_000)
  t.match(body, { gatewayEui: EUI, serial: 5, issuedAtMs: 1_000, currency: 'EUR', floorLimitMinor: 5_000 })
  const keys = nodeEd25519.keyPairFromSeed(new Uint8Array(32).fill(7))
  const decoded = riskConfigCodec.decode(riskConfigCodec.encode(riskConfigCodec.sign(body, keys.secretKey, nodeEd25519)))
  t.ok(riskConfigCodec.verify(decoded, keys.publicKey, nodeEd25519))
  t.same(riskLimitsOf(decoded), defaultRiskLimits('EUR'))
})

t.test('the serial cannot pass the 32 bits the encoding has', async (t) => {
  t.equal(nextRiskConfigBody(EUI, defaultRiskLimits('XOF'), RISK_CONFIG_SERIAL_MAX - 1, 0).serial, RISK_CONFIG_SERIAL_MAX)
  t.throws(() => nextRiskConfigBody(EUI, defaultRiskLimits('XOF'), RISK_CONFIG_SERIAL_MAX, 0), outOfRange)
})

t.test('online policies have names both ways', async (t) => {
  for (const name of ['PreferOnline', 'RequireOnline', 'ForceOffline'] as const) {
    t.equal(onlinePolicyName(onlinePolicyByName(name)), name)
  }
})
