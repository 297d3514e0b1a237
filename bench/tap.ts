// Tap to approved (DESIGN "Budgets"): one whole payment through the real PN532 driver and the
// payment flow, the PN532 emulator answering over a UART paced at 115,200 baud and a virtual
// Android phone answering each APDU in a phone's time. The phone is tapped at a seeded instant
// while the terminal polls; the time runs from the tap to the approved payment, durably recorded.
//
// The phone's model (assumptions drawn from how Android HCE works, not measurements of a phone):
// - RF: ISO 14443-A at 106 kbit/s, 9 bits a byte (8 data bits and parity), and 4 bytes of ISO-DEP
//   framing (PCB, CRC-16, frame delay) around each command and each answer;
// - Android's NFC service hands each APDU to the wallet's HostApduService over binder: 10 ms each;
// - the SELECT binds the service first: 30 ms instead;
// - the APDU that completes the payment request has the wallet check the request and sign with
//   Ed25519: 10 ms more.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CLA_CHAINING, INS_PAYMENT_REQUEST, INS_SELECT } from '../protocol/apdu'
import { systemClock, type Clock } from '../protocol/clock'
import { NfcPhoneLink } from '../hardware/nfc/nfc-phone-link'
import { HcePhone } from '../simulator/nfc/hce-phone'
import { openSimulatedReader } from '../simulator/nfc/simulated-reader'
import { SeededRandom } from '../simulator/fleet/seeded-random'
import { round, type Metric } from './metric'
import { standaloneGateway } from './standalone-gateway'

const TAPS = 20
const UART_BAUD = 115_200
const POLL_INTERVAL_MS = 150
const RF_BITS_PER_SECOND = 106_000
const RF_BITS_PER_BYTE = 9
const ISO_DEP_FRAMING_BYTES = 4
const HCE_APDU_MS = 10
const HCE_SELECT_MS = 30
const WALLET_SIGNING_MS = 10
/** The card schemes' budget for a contactless tap. */
const TAP_BUDGET_MS = 500

/** A clock whose now_ms has sub-millisecond precision, so the line's byte times (87 µs at 115,200 baud) stay exact. */
const preciseClock: Clock = { now_ms: () => performance.timeOrigin + performance.now(), setTimer: systemClock.setTimer }

/** How long the phone in the field takes to answer `apdu` with `answer` (the model above). */
function phoneAnswer_ms(apdu: Uint8Array, answer: Uint8Array): number {
  const rf_ms = ((apdu.length + answer.length + 2 * ISO_DEP_FRAMING_BYTES) * RF_BITS_PER_BYTE * 1000) / RF_BITS_PER_SECOND
  const ins = apdu[1]
  const work_ms = ins === INS_SELECT ? HCE_SELECT_MS
    : ins === INS_PAYMENT_REQUEST && (apdu[0]! & CLA_CHAINING) === 0 ? HCE_APDU_MS + WALLET_SIGNING_MS
      : HCE_APDU_MS
  return rf_ms + work_ms
}

export async function benchTap(): Promise<Metric[]> {
  const workDir = mkdtempSync(join(tmpdir(), 'payall-bench-tap-'))
  const random = new SeededRandom('bench-tap')
  let phoneTime_ms = 0
  let apdus = 0
  const modeledPhone = (apdu: Uint8Array, answer: Uint8Array) => {
    const answer_ms = phoneAnswer_ms(apdu, answer)
    phoneTime_ms += answer_ms
    apdus += 1
    return answer_ms
  }
  const simulated = await openSimulatedReader('/dev/PAYALL-bench-pn532', {
    emulator: { random: length => random.bytes(length), pacing: { clock: preciseClock, baudRate: UART_BAUD, targetAnswer_ms: modeledPhone } },
    clock: systemClock,
  })
  try {
    await simulated.reader.begin()
    const link = new NfcPhoneLink(simulated.reader, systemClock, { pollIntervalMs: POLL_INTERVAL_MS })
    const gateway = standaloneGateway(join(workDir, 'gateway'), link, 'bench-tap')
    const latenciesMs: number[] = []
    phoneTime_ms = 0
    apdus = 0
    for (let index = 0; index < TAPS; index++) {
      const payment = gateway.payments.take(100 + index)
      // The customer taps at any instant of the terminal's polling, as a customer does.
      await new Promise<void>(resolve => systemClock.setTimer(resolve, random.nextUint32() % POLL_INTERVAL_MS))
      const tapped_ms = performance.now()
      simulated.emulator.tap(new HcePhone(gateway.phone))
      const outcome = await payment
      latenciesMs.push(performance.now() - tapped_ms)
      if (outcome.kind !== 'approved') throw new Error(`bench tap ${index + 1} was declined: ${JSON.stringify(outcome)}`)
      simulated.emulator.remove()
    }
    gateway.store.close()
    latenciesMs.sort((a, b) => a - b)
    return [
      { name: 'tap_to_approved_taps', value: TAPS, unit: 'taps' },
      { name: 'tap_to_approved_p50', value: round(latenciesMs[Math.floor(TAPS / 2)]!, 1), unit: 'ms' },
      { name: 'tap_to_approved_max', value: round(latenciesMs[TAPS - 1]!, 1), unit: 'ms' },
      { name: 'tap_to_approved_budget', value: TAP_BUDGET_MS, unit: 'ms' },
      { name: 'tap_apdus_per_payment', value: round(apdus / TAPS, 1), unit: 'APDUs' },
      { name: 'tap_phone_time_modeled_per_payment', value: round(phoneTime_ms / TAPS, 1), unit: 'ms' },
    ]
  } finally {
    await simulated.close()
    rmSync(workDir, { recursive: true, force: true })
  }
}
