// What operators do to users: suspend and reactivate an account, grant and remove the operator role. Each act is
// decided and written to the audit log in one transaction, in which the acting operator is checked again (another
// operator may have suspended or demoted them since their request was admitted). The hub always keeps an active
// operator: nobody suspends themself (SELF_SUSPEND), so only another active operator suspends one, and the last
// active operator keeps the role (LAST_OPERATOR).

import type { Clock } from '../../protocol/clock'
import { assert } from '../../protocol/errors'
import type { AuditLog } from '../audit/store'
import type { AuditAction } from '../audit/wire'
import { userNameOf } from '../audit/store'
import { HttpError } from '../http/errors'
import type { SqlEngine, SqlQuery } from '../store/sql'
import type { User, UserStore } from './store'

export interface AdministrationDependencies {
  readonly engine: SqlEngine
  readonly users: UserStore
  readonly audit: AuditLog
  readonly clock: Clock
}

/** The outcome of an act on a user: whether it changed anything, and what the log says about it. */
interface Act {
  readonly changed: boolean
  readonly detail: string | null
  /** The act changed what the target may do (roles, sessions): open event streams check it again once committed. */
  readonly accessChanged?: boolean
}

export class UserAdministration {
  constructor(private readonly dependencies: AdministrationDependencies) {}

  /** Suspends the account and ends its sessions: its tokens are refused from the next request on. */
  suspend(actorId: string, targetId: string, reason: string): Promise<User> {
    const { users } = this.dependencies
    return this.act(actorId, targetId, 'user.suspend', async (sql, target, now_ms) => {
      if (target.id === actorId) throw new HttpError(409, 'SELF_SUSPEND', 'an operator cannot suspend themself; ask another operator')
      const changed = await users.suspendIn(sql, target.id, reason, now_ms)
      // The actor, an active operator other than the target, is still one.
      assert(await users.activeOperatorCount(sql) >= 1, 'the hub keeps an active operator')
      return { changed, detail: reason, accessChanged: changed }
    })
  }

  reactivate(actorId: string, targetId: string): Promise<User> {
    return this.act(actorId, targetId, 'user.reactivate', async (sql, target) => ({
      changed: await this.dependencies.users.reactivate(target.id, sql), detail: null,
    }))
  }

  /**
   * The operator vouches for the user's email, as if it had been proved with a code: for accounts whose owner showed
   * the operator they hold it some other way, and for simulated users, whose mail nobody reads.
   */
  verifyEmail(actorId: string, targetId: string): Promise<User> {
    return this.act(actorId, targetId, 'user.verify_email', async (sql, target, now_ms) => {
      if (target.email === null) throw new HttpError(409, 'NO_EMAIL', `user ${target.id} has no email`)
      return { changed: await this.dependencies.users.setEmailVerifiedIn(sql, target.id, now_ms), detail: target.email }
    })
  }

  grantOperator(actorId: string, targetId: string): Promise<User> {
    return this.act(actorId, targetId, 'operator.grant', async (sql, target, now_ms) => {
      const changed = await this.dependencies.users.addRoleIn(sql, target.id, 'operator', now_ms)
      return { changed, detail: null, accessChanged: changed }
    })
  }

  /** Takes the operator role away; a user who held no other role is left a customer. */
  revokeOperator(actorId: string, targetId: string): Promise<User> {
    const { users } = this.dependencies
    return this.act(actorId, targetId, 'operator.revoke', async (sql, target, now_ms) => {
      if (!target.roles.includes('operator')) return { changed: false, detail: null }
      if (target.suspendedAtMs === null && await users.activeOperatorCount(sql) <= 1) {
        throw new HttpError(409, 'LAST_OPERATOR', 'this is the last active operator: grant the role to someone else first')
      }
      const leftACustomer = target.roles.length === 1 && await users.addRoleIn(sql, target.id, 'customer', now_ms)
      await users.removeRoleIn(sql, target.id, 'operator')
      return { changed: true, detail: leftACustomer ? 'held no other role: now a customer' : null, accessChanged: true }
    })
  }

  /**
   * Runs `decide` on the target in one transaction with the checks and the log: the actor must still be an active
   * operator (else 403), the target must exist (else 404); an act that changed nothing is not logged.
   */
  private async act(
    actorId: string, targetId: string, action: AuditAction, decide: (sql: SqlQuery, target: User, now_ms: number) => Promise<Act>,
  ): Promise<User> {
    const { engine, users, audit, clock } = this.dependencies
    const { user, accessChanged } = await engine.write(async (sql) => {
      // Operators' acts take turns, whichever hub runs them: two operators demoting or suspending each other at once
      // must not both see the other still active (SQLite's write holds the whole database already).
      if (engine.dialect === 'postgres') await sql.get(`SELECT pg_advisory_xact_lock(${OPERATOR_ACTS_LOCK})`)
      const actor = await users.byId(actorId, sql)
      if (actor === undefined || actor.suspendedAtMs !== null || !actor.roles.includes('operator')) {
        throw new HttpError(403, 'FORBIDDEN', 'you are no longer an active operator')
      }
      const target = await users.byId(targetId, sql)
      if (target === undefined) throw new HttpError(404, 'NOT_FOUND', `no user ${targetId}`)
      const now_ms = clock.now_ms()
      const act = await decide(sql, target, now_ms)
      if (act.changed) await audit.recordIn(sql, { atMs: now_ms, actorId, action, targetId, targetName: userNameOf(target), detail: act.detail })
      return { user: (await users.byId(targetId, sql))!, accessChanged: act.accessChanged === true }
    })
    if (accessChanged) users.accessChanged(targetId)
    return user
  }
}

/** The key of the PostgreSQL advisory lock operators' acts on users take (an arbitrary constant, PayAll's own). */
const OPERATOR_ACTS_LOCK = 0x70617931
