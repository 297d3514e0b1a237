// Joining the two legacy systems' users into people: id_user_ext first, then email, then phone; each record in one person at most.

import t from 'tap'
import { fullNameOf, joinPeople, passwordSource, type PhoneReader } from '../../../hub/legacy/people'
import type { MobileUser, WebUser } from '../../../hub/legacy/records'

const web = (id: string, fields: Partial<WebUser> = {}): WebUser => ({
  id, fullName: `Web ${id}`, email: `w${id}@example.com`, emailVerified: false, phoneVerified: false, password: '$2a$04$web',
  phone: null, createdAt_ms: 0, updatedAt_ms: 0, ...fields,
})
const mobile = (id: string, fields: Partial<MobileUser> = {}): MobileUser => ({
  id, deviceId: null, webUserId: null, name: 'Mobile', surname: id, imei: null, sex: null, dateOfBirth: null, profession: null, address: null,
  email: null, phone: null, password: '$2y$04$mobile', metadata: null, createdAt_ms: 0, updatedAt_ms: 0, ...fields,
})
// Digits only, with a leading 0 read as the country's: enough to show numbers written two ways meet.
const readPhone: PhoneReader = text => {
  const digits = text.replace(/[^0-9]/g, '')
  return digits.length < 6 ? { problem: 'too short' } : { phone: `+221${digits.replace(/^(221|0)/, '')}` }
}
const summary = (people: ReturnType<typeof joinPeople>['people']) => people.map(person => [person.web?.id ?? null, person.mobile?.id ?? null, person.joinedBy])

t.test('id_user_ext first, then email in any case, then phone written any way; unmatched records stay alone', async (t) => {
  const joined = joinPeople(
    [web('1'), web('2', { email: 'Two@Example.com' }), web('3', { email: null, phone: '77 123 45 67' }), web('4')],
    [
      mobile('10', { webUserId: '1', email: 'w2@example.com' }),
      mobile('11', { email: 'two@EXAMPLE.com' }),
      mobile('12', { phone: '+221771234567' }),
      mobile('13', { webUserId: '99', email: 'w4@example.com' }),
      mobile('14', { phone: '12' }),
    ],
    readPhone)
  t.same(summary(joined.people), [
    ['1', '10', 'id_user_ext'], ['2', '11', 'email'], ['3', '12', 'phone'], ['4', null, null], [null, '13', null], [null, '14', null],
  ], 'id_user_ext wins over a matching email; an id_user_ext naming nobody is not joined by email in its place')
  t.same(joined.refusals, [])
})

t.test('a web user joins one mobile record at most; a key seen twice in a table is refused', async (t) => {
  const joined = joinPeople([web('1'), web('1', { email: 'other@example.com' })], [mobile('10', { webUserId: '1' }), mobile('11', { webUserId: '1' }), mobile('10')], readPhone)
  t.same(summary(joined.people), [['1', '10', 'id_user_ext'], [null, '11', null]])
  t.same(joined.refusals.map(refusal => `${refusal.system} ${refusal.key} ${refusal.reason}`), ['web 1 DUPLICATE_KEY', 'mobile 10 DUPLICATE_KEY'])
})

t.test('the password of the record changed last; the name from the web, else the mobile name and surname', async (t) => {
  t.equal(passwordSource({ web: web('1', { updatedAt_ms: 20 }), mobile: mobile('1', { updatedAt_ms: 10 }), joinedBy: 'email' }), 'web')
  t.equal(passwordSource({ web: web('1', { updatedAt_ms: 10 }), mobile: mobile('1', { updatedAt_ms: 20 }), joinedBy: 'email' }), 'mobile')
  t.equal(passwordSource({ web: web('1', { updatedAt_ms: null, createdAt_ms: null }), mobile: mobile('1', { updatedAt_ms: null, createdAt_ms: null }), joinedBy: 'email' }), 'mobile', 'a tie goes to the app')
  t.equal(passwordSource({ web: web('1', { updatedAt_ms: 30 }), mobile: mobile('1', { password: null }), joinedBy: 'email' }), 'web')
  t.equal(fullNameOf({ web: web('1'), mobile: mobile('2'), joinedBy: 'email' }), 'Web 1')
  t.equal(fullNameOf({ web: undefined, mobile: mobile('2'), joinedBy: null }), 'Mobile 2')
  t.equal(fullNameOf({ web: undefined, mobile: mobile('2', { surname: null }), joinedBy: null }), 'Mobile')
})
