import t from 'tap'
import { HttpError } from '../../../hub/http/errors'
import { phoneNumberOf } from '../../../hub/users/phone'

function refusal(text: string, region: Parameters<typeof phoneNumberOf>[1] = 'SN'): string {
  try {
    phoneNumberOf(text, region)
  } catch (error) {
    if (error instanceof HttpError && error.status === 400 && error.code === 'BAD_PHONE') return error.message
    throw error
  }
  throw new Error(`${text} was taken for a number`)
}

t.test('221786365771, 00221786365771, 786365771 and the ways people type them are one number in E.164', async (t) => {
  for (const typed of ['221786365771', '00221786365771', '786365771', '+221786365771', '+221 78 636 57 71', '(+221) 78-636.57.71', ' 78 636 57 71 ']) {
    t.equal(phoneNumberOf(typed, 'SN'), '+221786365771', typed)
  }
})

t.test('a number without a country code is one of the region the hub is configured for', async (t) => {
  t.equal(phoneNumberOf('06 12 34 56 78', 'FR'), '+33612345678')
  t.equal(phoneNumberOf('+221786365771', 'FR'), '+221786365771', 'a country code wins over the region')
  t.match(refusal('06 12 34 56 78', 'SN'), /not a valid phone number in SN \(read as a number of SN, \+221\)/)
})

t.test('what is not a number that can receive an SMS gets 400 BAD_PHONE saying what is wrong', async (t) => {
  t.match(refusal('call me'), /"call me" is not a phone number: only digits/)
  t.match(refusal('786365771 ext. 2'), /only digits/)
  t.match(refusal('78\n636 57 71'), /only digits/, 'a line break is no separator')
  t.match(refusal('+'), /"\+" is not a phone number/)
  t.match(refusal('+999123456789'), /no country code the hub knows/)
  t.match(refusal('1'), /too short/)
  t.match(refusal('12'), /not a valid phone number in SN/)
  t.match(refusal('+2217863657711234567'), /not a valid phone number in SN/)
  t.match(refusal('+22177000001'), /not a valid phone number in SN/, 'a Senegalese mobile number has nine digits')
  t.match(refusal('+221 31 000 00 00'), /not a valid phone number in SN/, 'an unassigned range (the max metadata knows; min would take it)')
  t.match(refusal('+221 33 820 00 00'), /fixed-line number: it cannot receive the SMS that proves it/)
  t.match(refusal(`+221${'7'.repeat(60)}`), /^"\+2217{36}" /, 'the message quotes a bounded part of what was typed')
})
