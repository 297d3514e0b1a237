// Who a user is to the hub; a route names the roles it admits (see requireRole in hub/http/auth.ts).

export const ROLES = ['operator', 'owner', 'customer'] as const

/** operator: runs the hub; owner: owns gateways (a merchant); customer: pays with a phone or card. */
export type Role = (typeof ROLES)[number]
