/**
 * When an open payment is asked about at its channel, so that a payment whose notification never
 * came (lost, blocked, forged away) still becomes SUCCESS. Early and often while payers usually
 * pay, then sparser until the payment expires:
 *
 *   5 s, 10 s, 15 s, 30 s, 30 s, 1 min, 1 min, 2 min, 5 min, then every 10 min.
 *
 * Bound: a payment paid at the channel is SUCCESS here within 10 minutes (plus one query's time)
 * even if no notification ever arrives; within 30 s during its first two minutes.
 */
export const QUERY_DELAYS_MS: readonly number[] = [
  5_000, 10_000, 15_000, 30_000, 30_000, 60_000, 60_000, 120_000, 300_000,
];
export const QUERY_INTERVAL_MAX_MS = 600_000;
/** After a channel call that got no answer, ask again this soon (and back off to the cap). */
export const QUERY_RETRY_AFTER_UNKNOWN_MS = 15_000;

/** When to query next after `attempts` queries, never later than the expiry (when it is closed). */
export function nextQueryAt(now_ms: number, attempts: number, expires_at_ms: number): number {
  const delay = QUERY_DELAYS_MS[attempts] ?? QUERY_INTERVAL_MAX_MS;
  return Math.min(now_ms + delay, Math.max(expires_at_ms, now_ms));
}

/** A channel that did not answer is asked again with a bounded backoff. */
export function retryAfterUnknownAt(now_ms: number, failures: number): number {
  return now_ms + Math.min(QUERY_RETRY_AFTER_UNKNOWN_MS * 2 ** Math.min(failures, 10), QUERY_INTERVAL_MAX_MS);
}
