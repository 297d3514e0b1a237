// When a failed delivery is tried again: exponential backoff, bounded in delay and in attempts. Pure.

export interface RetryPolicy {
  readonly attemptsMax: number
  readonly backoffBaseMs: number
  readonly backoffMaxMs: number
}

export type AfterFailure =
  | { readonly status: 'pending'; readonly nextAttemptAtMs: number }
  | { readonly status: 'failed' }

/** The delay before attempt `attempts + 1`, after `attempts` failures: base · 2^(attempts − 1), capped. */
export function retryDelay_ms(attempts: number, policy: RetryPolicy): number {
  if (!Number.isInteger(attempts) || attempts < 1) throw new RangeError(`attempts must be a whole number ≥ 1, got ${attempts}`)
  // 2^40 times any sensible base is past any cap: stop doubling before the number loses meaning.
  const exponent = Math.min(attempts - 1, 40)
  return Math.min(policy.backoffBaseMs * 2 ** exponent, policy.backoffMaxMs)
}

/** A message that failed its `attempts`th time: retried later, or given up on (permanent errors at once). */
export function afterFailure(attempts: number, permanent: boolean, now_ms: number, policy: RetryPolicy): AfterFailure {
  if (permanent || attempts >= policy.attemptsMax) return { status: 'failed' }
  return { status: 'pending', nextAttemptAtMs: now_ms + retryDelay_ms(attempts, policy) }
}
