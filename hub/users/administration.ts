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
import type { SqliteDatabase } from '../store/database'
import type { User, UserStore } from './store'

export interface AdministrationDependencies {
  readonly db: SqliteDatabase
  readonly users: UserStore
  readonly audit: AuditLog
  readonly clock: Clock
}

/** The outcome of an act on a user: whether it changed anything, and what the log says about it. */
interface Act {
  readonly changed: boolean
  readonly detail: string | null
}

export class UserAdministration {
  constructor(private readonly dependencies: AdministrationDependencies) {}

  /** Suspends the account and ends its sessions: its tokens are refused from the next request on. */
  suspend(actorId: string, targetId: string, reason: string): User {
    return this.act(actorId, targetId, 'user.suspend', (target, now_ms) => {
      if (target.id === actorId) throw new HttpError(409, 'SELF_SUSPEND', 'an operator cannot suspend themself; ask another operator')
      const changed = this.dependencies.users.suspend(target.id, reason, now_ms)
      // The actor, an active operator other than the target, is still one.
      assert(this.dependencies.users.activeOperatorCount() >= 1, 'the hub keeps an active operator')
      return { changed, detail: reason }
    })
  }

  reactivate(actorId: string, targetId: string): User {
    return this.act(actorId, targetId, 'user.reactivate', (target) => ({
      changed: this.dependencies.users.reactivate(target.id), detail: null,
    }))
  }

  /**
   * The operator vouches for the user's email, as if it had been proved with a code: for accounts whose owner showed
   * the operator they hold it some other way, and for simulated users, whose mail nobody reads.
   */
  verifyEmail(actorId: string, targetId: string): User {
    return this.act(actorId, targetId, 'user.verify_email', (target, now_ms) => {
      if (target.email === null) throw new HttpError(409, 'NO_EMAIL', `user ${target.id} has no email`)
      return { changed: this.dependencies.users.setEmailVerified(target.id, now_ms), detail: target.email }
    })
  }

  grantOperator(actorId: string, targetId: string): User {
    return this.act(actorId, targetId, 'operator.grant', (target, now_ms) => ({
      changed: this.dependencies.users.addRole(target.id, 'operator', now_ms), detail: null,
    }))
  }

  /** Takes the operator role away; a user who held no other role is left a customer. */
  revokeOperator(actorId: string, targetId: string): User {
    const { users } = this.dependencies
    return this.act(actorId, targetId, 'operator.revoke', (target, now_ms) => {
      if (!target.roles.includes('operator')) return { changed: false, detail: null }
      if (target.suspendedAtMs === null && users.activeOperatorCount() <= 1) {
        throw new HttpError(409, 'LAST_OPERATOR', 'this is the last active operator: grant the role to someone else first')
      }
      const leftACustomer = target.roles.length === 1 && users.addRole(target.id, 'customer', now_ms)
      users.removeRole(target.id, 'operator')
      return { changed: true, detail: leftACustomer ? 'held no other role: now a customer' : null }
    })
  }

  /**
   * Runs `decide` on the target in one transaction with the checks and the log: the actor must still be an active
   * operator (else 403), the target must exist (else 404); an act that changed nothing is not logged.
   */
  private act(actorId: string, targetId: string, action: AuditAction, decide: (target: User, now_ms: number) => Act): User {
    const { db, users, audit, clock } = this.dependencies
    return db.transaction(() => {
      const actor = users.byId(actorId)
      if (actor === undefined || actor.suspendedAtMs !== null || !actor.roles.includes('operator')) {
        throw new HttpError(403, 'FORBIDDEN', 'you are no longer an active operator')
      }
      const target = users.byId(targetId)
      if (target === undefined) throw new HttpError(404, 'NOT_FOUND', `no user ${targetId}`)
      const now_ms = clock.now_ms()
      const { changed, detail } = decide(target, now_ms)
      if (changed) audit.record({ atMs: now_ms, actorId, action, targetId, targetName: userNameOf(target), detail })
      return users.byId(targetId)!
    }).immediate()
  }
}
