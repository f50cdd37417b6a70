/** What follows a failed attempt: another at `at`, or none (the delivery has failed). */
export type NextAttempt = { retry: true; at: Date } | { retry: false; reason: string };

export interface RetryPolicy {
  /** The waits after each failed attempt: attempt n+1 waits `delaysMs[n-1]` after attempt n failed. */
  delaysMs: number[];
  /** A delivery older than this gets no further attempt. */
  maxAgeMs: number;
}

/**
 * After `attempts` failed attempts of a delivery created at `createdAt`, failing last at
 * `now`: when to try again. The first attempt is immediate; the schedule caps the count and
 * `maxAgeMs` the age, whichever comes first.
 */
export function nextAttempt(policy: RetryPolicy, attempts: number, createdAt: Date, now: Date): NextAttempt {
  if (attempts > policy.delaysMs.length)
    return { retry: false, reason: `gave up after ${attempts} attempt${attempts === 1 ? '' : 's'}` };
  const at = new Date(now.getTime() + policy.delaysMs[attempts - 1]);
  if (at.getTime() - createdAt.getTime() > policy.maxAgeMs)
    return { retry: false, reason: `gave up after ${attempts} attempts: the next would be past the maximum age` };
  return { retry: true, at };
}
