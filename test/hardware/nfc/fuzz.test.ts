// Whatever comes back over the UART or from the phone, the NFC path answers with a typed error
// or a result: never a crash, never an untyped throw.

import t from 'tap'
import fc from 'fast-check'
import { paymentRequestCodec } from '../../../protocol/messages/payment-request'
import { isNfcLinkError, isPn532Error } from '../../../hardware/nfc/errors'
import { NfcPhoneLink } from '../../../hardware/nfc/nfc-phone-link'
import { parsePassiveTarget } from '../../../hardware/nfc/pn532'
import { encodeResponseFrame } from '../../../hardware/nfc/pn532-frame'
import { CURRENCY, EUI, T0 } from '../../terminal/fixtures'
import { settle } from '../../helpers/clock'
import { openBench } from './bench'

const request = paymentRequestCodec.encode({
  gatewayEui: EUI, amountMinor: 100, currency: CURRENCY, nonce: new Uint8Array(16), timeMs: T0, merchantName: 'Fuzz',
})

t.test('parsePassiveTarget: any bytes give a target, none, or BAD_RESPONSE', async t => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), bytes => {
      try {
        parsePassiveTarget(bytes)
        return true
      } catch (error) {
        return isPn532Error(error, 'BAD_RESPONSE')
      }
    }),
    { seed: 4, numRuns: 2000 },
  )
  t.pass('2000 answers')
})

t.test('the driver: any bytes the line delivers after a command end in a result or a Pn532Error', async t => {
  let runs = 0
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.oneof(
        fc.uint8Array({ maxLength: 64 }),
        fc.uint8Array({ maxLength: 8 }).map(data => encodeResponseFrame(0x02, data)),
        fc.constant(Uint8Array.of(0x00, 0x00, 0xff, 0x00, 0xff, 0x00)),
      ), { maxLength: 4 }),
      async chunks => {
        runs += 1
        const bench = await openBench(t, { emulator: { asleep: false } })
        const binding = bench.port.port!
        // The line, not the emulator, answers: detach it and say whatever the fuzzer says.
        bench.emulator.detach()
        const write = binding.write.bind(binding)
        binding.write = async (buffer: Buffer) => {
          await write(buffer)
          for (const chunk of chunks) if (chunk.length > 0) binding.emitData(Buffer.from(chunk))
        }
        try {
          const version = await settle(bench.clock, bench.reader.firmwareVersion())
          return typeof version.ic === 'number'
        } catch (error) {
          return isPn532Error(error)
        }
      },
    ),
    { seed: 5, numRuns: 60 },
  )
  t.equal(runs, 60)
})

t.test('the phone link: any answer from a phone ends in the wallet\'s bytes or a typed error', async t => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 1, maxLength: 4 }), async answers => {
      const bench = await openBench(t)
      await settle(bench.clock, bench.reader.begin())
      let next = 0
      bench.emulator.tap({ processCommandApdu: () => answers[next++ % answers.length]!, onDeactivated: () => undefined })
      const link = new NfcPhoneLink(bench.reader, bench.clock, { tapWaitMaxMs: 0 })
      try {
        await settle(bench.clock, link.exchange(request))
        return true
      } catch (error) {
        return isNfcLinkError(error) || isPn532Error(error)
      }
    }),
    { seed: 6, numRuns: 60 },
  )
  t.pass('60 phones')
})
