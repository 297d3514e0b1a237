// Who a user is to the hub: a set of roles that add up (a customer whose order is validated is also an owner, an
// operator may hold the others too). A route names the roles it admits (see requireRole in hub/http/auth.ts).

export const ROLES = ['operator', 'owner', 'customer'] as const

/** operator: runs the hub; owner: owns gateways (a merchant); customer: pays with a phone or card. */
export type Role = (typeof ROLES)[number]

/**
 * The first of the roles held in the order of ROLES: the one `role` field of the replies and tokens that old clients
 * read. Every user holds at least one role (the users store keeps it so).
 */
export function highestRole(roles: readonly Role[]): Role {
  const highest = ROLES.find((role) => roles.includes(role))
  if (highest === undefined) throw new Error('a user holds at least one role')
  return highest
}

/**
 * The roles as the database lists them (user_roles rows joined by commas), each once, in the order of ROLES
 * (operator, owner, customer): the order every reply lists them in.
 */
export function rolesFromList(list: string | null): Role[] {
  const names = new Set(list === null ? [] : list.split(','))
  return ROLES.filter((role) => names.has(role))
}
