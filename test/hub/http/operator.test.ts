import t from 'tap'
import { ensureOperator, OPERATOR_EMAIL_DEFAULT } from '../../../hub/users/operator'
import { login, testContext, testHub } from './fixtures'

t.test('the first start creates the operator from PAYALL_OPERATOR_EMAIL and PASSWORD', async (t) => {
  const { app, context } = await testHub(t, {
    config: { operatorEmail: 'ops@payall.example', operatorPassword: 'configured password 42' },
  })
  const bootstrap = await ensureOperator(context)
  t.same(bootstrap, { created: true, email: 'ops@payall.example', generatedPassword: undefined })
  const response = await login(app, 'ops@payall.example', 'configured password 42')
  t.equal(response.statusCode, 200)
  t.equal(response.json().user.role, 'operator')
})

t.test('without configured credentials the password is generated, strong, and returned once', async (t) => {
  const { app, context } = await testHub(t)
  const bootstrap = await ensureOperator(context)
  if (!bootstrap.created || bootstrap.generatedPassword === undefined) throw new Error('expected a generated password')
  t.equal(bootstrap.email, OPERATOR_EMAIL_DEFAULT)
  t.match(bootstrap.generatedPassword, /^[A-Za-z0-9_-]{24}$/, '144 random bits')
  t.equal((await login(app, OPERATOR_EMAIL_DEFAULT, bootstrap.generatedPassword)).statusCode, 200)
  const stored = context.db.prepare(
    "SELECT password_hash FROM users JOIN user_roles ON user_roles.user_id = users.id WHERE role = 'operator'").get() as { password_hash: string }
  t.notMatch(stored.password_hash, bootstrap.generatedPassword, 'only the hash is stored')
})

t.test('a start with an operator already there creates nothing and changes nothing', async (t) => {
  const { context } = testContext(t)
  await ensureOperator(context)
  const before = context.db.prepare('SELECT * FROM users').all()
  t.same(await ensureOperator(context), { created: false, passwordIgnored: false })
  t.same(context.db.prepare('SELECT * FROM users').all(), before)
})

t.test('a later start with PAYALL_OPERATOR_PASSWORD other than the operator\'s says it is ignored, and changes nothing', async (t) => {
  const { context } = testContext(t, { config: { operatorPassword: 'configured password 42' } })
  t.match(await ensureOperator(context), { created: true })
  t.same(await ensureOperator(context), { created: false, passwordIgnored: false }, 'the same password: nothing to say')
  const changed = { ...context, config: { ...context.config, operatorPassword: 'another password 43' } }
  const before = context.db.prepare('SELECT * FROM users').all()
  t.same(await ensureOperator(changed), { created: false, passwordIgnored: true })
  t.same(context.db.prepare('SELECT * FROM users').all(), before)
})
