// The first operator account, created on the hub's first start so someone can log in at all:
// from PAYALL_OPERATOR_EMAIL/PASSWORD, else with a generated password handed back to print once.
// Later starts change nothing, and say when PAYALL_OPERATOR_PASSWORD is not the operator's password
// (`payall-hub reset-operator` sets a new one).

import type { HubContext } from '../context'
import { UserStore, newUserId } from './store'

export const OPERATOR_EMAIL_DEFAULT = 'operator@payall.local'
/** 18 random bytes: 144 bits, 24 characters of base64url. */
const GENERATED_PASSWORD_BYTES = 18

export type OperatorBootstrap =
  | {
      created: false
      /** PAYALL_OPERATOR_PASSWORD is set but is not the password of the operator it goes with: it is ignored. */
      passwordIgnored: boolean
    }
  | {
      created: true
      email: string
      /** Set when the password was generated: the only time anyone sees it. */
      generatedPassword: string | undefined
    }

/** Creates the first operator unless one exists; an existing operator is never changed. */
export async function ensureOperator(context: HubContext): Promise<OperatorBootstrap> {
  const users = new UserStore(context.engine)
  if (await users.countWithRole('operator') > 0) return { created: false, passwordIgnored: await passwordIgnored(context, users) }

  const email = context.config.operatorEmail ?? OPERATOR_EMAIL_DEFAULT
  const generatedPassword = context.config.operatorPassword === undefined
    ? Buffer.from(context.random(GENERATED_PASSWORD_BYTES)).toString('base64url')
    : undefined
  const passwordHash = await context.passwords.hash(context.config.operatorPassword ?? generatedPassword!)
  const created = await context.engine.write(async (sql) => {
    // Another hub process on the same database may have created one while we hashed. On PostgreSQL two starting at
    // once may both count none: the operator's email, unique, lets one of them in.
    if (await users.countWithRole('operator', sql) > 0) return false
    const taken = await users.insertIn(sql, {
      id: newUserId(context.random),
      email,
      fullName: 'Hub operator',
      // The address is the deployer's own setting (or the built-in default): nobody else could have claimed it.
      emailVerifiedAtMs: context.clock.now_ms(),
      roles: ['operator'],
      passwordHash,
      createdAtMs: context.clock.now_ms(),
    })
    if (taken === undefined) return true
    // Another hub made the operator meanwhile (its row is committed, so this statement sees it); else the email is a
    // user's who is no operator, and the hub cannot start without one.
    if (await users.countWithRole('operator', sql) > 0) return false
    throw taken
  })
  return created ? { created: true, email, generatedPassword } : { created: false, passwordIgnored: false }
}

/** Costs one password hash, and only when the variable is set. */
async function passwordIgnored(context: HubContext, users: UserStore): Promise<boolean> {
  const password = context.config.operatorPassword
  if (password === undefined) return false
  const operator = await users.credentialsByEmail(context.config.operatorEmail ?? OPERATOR_EMAIL_DEFAULT)
  if (operator === undefined || !operator.roles.includes('operator')) return true
  return !(await context.passwords.verify(password, operator.passwordHash))
}
