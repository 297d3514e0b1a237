import t from 'tap'
import bcrypt from 'bcryptjs'
import { SCRYPT_COST_DEFAULT, createPasswordHasher } from '../../../hub/users/passwords'
import { TEST_SCRYPT_COST, seededRandom } from './fixtures'

const hasher = createPasswordHasher({ random: seededRandom('passwords'), cost: TEST_SCRYPT_COST })

t.test('a scrypt hash carries its parameters and verifies only its own password', async (t) => {
  const hash = await hasher.hash('pässword one')
  t.match(hash, /^\$scrypt\$ln=4,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/)
  t.equal(await hasher.verify('pässword one', hash), true)
  t.equal(await hasher.verify('pässword one'.normalize('NFD'), hash), true, 'either Unicode spelling verifies')
  t.equal(await hasher.verify('password one', hash), false)
  t.not(await hasher.hash('pässword one'), hash, 'a fresh salt each time')
})

t.test('the default cost is N = 2^15, r = 8, and its hash verifies', async (t) => {
  t.same(SCRYPT_COST_DEFAULT, { costLog2: 15, blockSize: 8, parallelization: 1 })
  const strong = createPasswordHasher({ random: seededRandom('strong') })
  const hash = await strong.hash('correct horse')
  t.match(hash, /^\$scrypt\$ln=15,r=8,p=1\$/)
  t.equal(await strong.verify('correct horse', hash), true)
})

t.test('a weaker or bcrypt hash is due for rehashing, a current one is not', async (t) => {
  const strong = createPasswordHasher({ random: seededRandom('strong'), cost: { ...TEST_SCRYPT_COST, costLog2: 5 } })
  t.equal(strong.needsRehash(await hasher.hash('x')), true)
  t.equal(strong.needsRehash(await strong.hash('x')), false)
  t.equal(strong.needsRehash(bcrypt.hashSync('x', 4)), true)
})

t.test('a malformed, unknown or unbounded hash never verifies', async (t) => {
  for (const stored of [
    '',
    'plaintext-password',
    '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA',
    '$scrypt$ln=4,r=8,p=1$$',
    '$scrypt$ln=30,r=8,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA',
    `$2b$31$${'a'.repeat(53)}`,
    '$2x$04$abcdefghijklmnopqrstuu',
  ]) {
    t.equal(await hasher.verify('plaintext-password', stored), false, JSON.stringify(stored))
  }
})

t.test('verifyNothing spends a hash and refuses', async (t) => {
  t.equal(await hasher.verifyNothing('anything'), false)
})
