import t from 'tap'
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { nodeEd25519 } from '../../../protocol/signature/node'
import { HUB_KEY_FILE, JWT_SECRET_FILE, KeyFileError, loadOrCreateHubKeys, loadOrCreateJwtSecret } from '../../../hub/keys'
import { seededRandom } from './fixtures'

t.test('the hub key is generated from the injected randomness and stored with mode 0600', async (t) => {
  const dataDir = t.testdir()
  const keys = loadOrCreateHubKeys(dataDir, seededRandom('keys'))
  const path = join(dataDir, HUB_KEY_FILE)
  t.equal(statSync(path).mode & 0o777, 0o600)
  t.same(new Uint8Array(readFileSync(path)), keys.secretKey)
  t.same(keys, nodeEd25519.keyPairFromSeed(seededRandom('keys')(32)), 'the seed is the first 32 random bytes')
})

t.test('the hub key is reused on the next start', async (t) => {
  const dataDir = t.testdir()
  const first = loadOrCreateHubKeys(dataDir, seededRandom('first'))
  const second = loadOrCreateHubKeys(dataDir, seededRandom('second'))
  t.same(second.publicKey, first.publicKey)
})

t.test('a key file others can read is refused', async (t) => {
  const dataDir = t.testdir()
  loadOrCreateHubKeys(dataDir, seededRandom('keys'))
  chmodSync(join(dataDir, HUB_KEY_FILE), 0o644)
  t.throws(() => loadOrCreateHubKeys(dataDir, seededRandom('keys')), { name: 'KeyFileError', code: 'KEY_FILE_EXPOSED' })
})

t.test('a key file of the wrong length is refused, not replaced', async (t) => {
  const dataDir = t.testdir()
  writeFileSync(join(dataDir, HUB_KEY_FILE), Buffer.alloc(31), { mode: 0o600 })
  t.throws(() => loadOrCreateHubKeys(dataDir, seededRandom('keys')), KeyFileError)
  t.equal(readFileSync(join(dataDir, HUB_KEY_FILE)).length, 31)
})

t.test('the JWT secret is 32 random bytes in a 0600 file, reused on the next start', async (t) => {
  const dataDir = t.testdir()
  const first = loadOrCreateJwtSecret(dataDir, seededRandom('jwt-1'), undefined)
  t.equal(first.length, 32)
  t.equal(statSync(join(dataDir, JWT_SECRET_FILE)).mode & 0o777, 0o600)
  t.same(loadOrCreateJwtSecret(dataDir, seededRandom('jwt-2'), undefined), first)
})

t.test('PAYALL_JWT_SECRET replaces the file, which is then not created', async (t) => {
  const dataDir = t.testdir()
  const secret = loadOrCreateJwtSecret(dataDir, seededRandom('jwt'), 'a configured secret of 32+ characters')
  t.equal(Buffer.from(secret).toString('utf8'), 'a configured secret of 32+ characters')
  t.notOk(existsSync(join(dataDir, JWT_SECRET_FILE)))
})
