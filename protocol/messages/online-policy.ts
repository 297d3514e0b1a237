// What a gateway does when a phone could pay online or offline (DESIGN "Risk limits"): the RiskConfig field,
// apart from its codec so the web dashboard can name the policies without taking in Node code.

export const OnlinePolicy = { PreferOnline: 0, RequireOnline: 1, ForceOffline: 2 } as const
export type OnlinePolicy = (typeof OnlinePolicy)[keyof typeof OnlinePolicy]
/** A policy as the REST API and the dashboard spell it. */
export type OnlinePolicyName = keyof typeof OnlinePolicy
