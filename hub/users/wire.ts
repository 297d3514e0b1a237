// A user on the wire, as types apart from the code that builds the replies: nothing here reaches Node, so the
// web dashboard imports them.

import type { Role } from '../http/roles'

export interface UserReply {
  id: string
  email: string | null
  emailVerified: boolean
  phone: string | null
  phoneVerified: boolean
  phonePending: string | null
  fullName: string
  roles: Role[]
  role: Role
  createdAt: string
}

/** A user as operators see one (GET /admin/users and the acts on a user): with the suspension. */
export interface AdminUserReply extends UserReply {
  suspendedAtMs: number | null
  suspendedReason: string | null
}
