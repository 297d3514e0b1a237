import t from 'tap'
import {
  chainCommand, decodeResponseApdu, encodeCommandApdu, getResponseCommand, paymentRequestCommand, selectAid, selectPayAll,
  type CommandApdu,
} from '../../../protocol/apdu'
import { concatBytes, fromHex } from '../../../protocol/bytes'
import { paymentRequestCodec } from '../../../protocol/messages/payment-request'
import { paymentResponseCodec } from '../../../protocol/messages/payment-response'
import { HcePhone } from '../../../simulator/nfc/hce-phone'
import { CURRENCY, EUI, T0, phoneWithVoucher } from '../../terminal/fixtures'

const send = (phone: HcePhone, command: CommandApdu) => decodeResponseApdu(phone.processCommandApdu(encodeCommandApdu(command)))
const sw = (phone: HcePhone, command: CommandApdu) => send(phone, command).sw.toString(16)

function requestBytes(currency = CURRENCY): Uint8Array {
  return paymentRequestCodec.encode({
    gatewayEui: EUI, amountMinor: 700, currency, nonce: new Uint8Array(16).fill(3), timeMs: T0, merchantName: 'Boutique Awa',
  })
}

t.test('answers SELECT of the PayAll AID with 9000 and any other AID with 6A82, as Android does', async t => {
  const phone = new HcePhone(phoneWithVoucher().phone)
  t.equal(sw(phone, selectAid(fromHex('F0010203040506'))), '6a82')
  t.equal(sw(phone, selectPayAll()), '9000')
  const bare = new HcePhone(phoneWithVoucher().phone, { payAllInstalled: false })
  t.equal(sw(bare, selectPayAll()), '6a82', 'a phone without the wallet')
})

t.test('before a SELECT, and for bytes that are no APDU, Android answers 6F00', async t => {
  const phone = new HcePhone(phoneWithVoucher().phone)
  t.equal(sw(phone, paymentRequestCommand(requestBytes())), '6f00')
  t.equal(decodeResponseApdu(phone.processCommandApdu(fromHex('00a4'))).sw.toString(16), '6f00')
  t.equal(sw(phone, selectPayAll()), '9000')
  t.equal(sw(phone, { cla: 0x80, ins: 0x99, p1: 0, p2: 0, data: new Uint8Array(0) }), '6d00', 'an unknown instruction')
  t.equal(sw(phone, getResponseCommand(16)), '6f00', 'GET RESPONSE with nothing pending')
})

t.test('takes a chained request and answers the PaymentResponse in 61xx pieces fetched with GET RESPONSE', async t => {
  const { phone: wallet, voucher } = phoneWithVoucher()
  const phone = new HcePhone(wallet, { responseChunkMaxBytes: 100 })
  t.equal(sw(phone, selectPayAll()), '9000')
  const links = chainCommand(0x80, 0x50, 0, 0, requestBytes(), 20, 256)
  t.ok(links.length > 2)
  for (const link of links.slice(0, -1)) t.equal(sw(phone, link), '9000', 'a link of the chain')
  let answer = send(phone, links[links.length - 1]!)
  const pieces = [answer.data]
  while (answer.sw >> 8 === 0x61) {
    t.ok(answer.data.length <= 100)
    answer = send(phone, getResponseCommand(answer.sw & 0xff || 256))
    pieces.push(answer.data)
  }
  t.equal(answer.sw, 0x9000)
  t.ok(pieces.length > 1, `${pieces.length} pieces`)
  const response = paymentResponseCodec.decode(concatBytes(...pieces))
  t.equal(response.authorization.amountMinor, 700)
  t.same(response.voucher.voucherId, voucher.voucherId)
})

t.test('a wallet that declines answers 6985; a request that does not decode answers 6A80', async t => {
  const phone = new HcePhone(phoneWithVoucher().phone)
  t.equal(sw(phone, selectPayAll()), '9000')
  t.equal(sw(phone, paymentRequestCommand(requestBytes('EUR'))), '6985', 'no EUR voucher')
  t.equal(sw(phone, paymentRequestCommand(fromHex('0102'))), '6a80')
  t.equal(sw(phone, { cla: 0x00, ins: 0x50, p1: 0, p2: 0, data: new Uint8Array(0) }), '6e00', 'the payment instruction is proprietary class')
})

t.test('leaving the field drops the selection and any open chain', async t => {
  const phone = new HcePhone(phoneWithVoucher().phone)
  t.equal(sw(phone, selectPayAll()), '9000')
  const [first] = chainCommand(0x80, 0x50, 0, 0, requestBytes(), 20, 256)
  t.equal(sw(phone, first!), '9000')
  phone.onDeactivated()
  t.equal(phone.deactivations, 1)
  t.equal(sw(phone, paymentRequestCommand(requestBytes())), '6f00', 'a new session starts with SELECT')
  t.equal(sw(phone, selectPayAll()), '9000')
  const answer = send(phone, paymentRequestCommand(requestBytes()))
  t.equal(answer.sw >> 8, 0x61, 'the half chain from before is gone: the whole request is paid (its answer is longer than one APDU)')
})
