/**
 * When merchant notifications are retried. The schedule outlasts every channel's own (WeChat Pay
 * gives up after about 24 h, Alipay after about 25 h) so a merchant that is down for a weekend
 * still hears of every payment: 13 attempts over about 3 days 4 hours.
 */
export const DELIVERY_DELAYS_MS: readonly number[] = [
  0,
  15_000,
  60_000,
  5 * 60_000,
  15 * 60_000,
  30 * 60_000,
  60 * 60_000,
  2 * 3600_000,
  4 * 3600_000,
  8 * 3600_000,
  12 * 3600_000,
  24 * 3600_000,
  24 * 3600_000,
];

export const DELIVERY_ATTEMPTS_MAX = DELIVERY_DELAYS_MS.length;
/** A merchant endpoint gets this long to answer one attempt. */
export const DELIVERY_TIMEOUT_MS = 10_000;

/** When attempt number `attempt` (1-based) is due, counted from when the event was created. */
export function nextDeliveryAt(created_at_ms: number, attempts_done: number): number | null {
  if (attempts_done >= DELIVERY_ATTEMPTS_MAX) return null;
  let at = created_at_ms;
  for (let i = 0; i <= attempts_done; i++) at += DELIVERY_DELAYS_MS[i]!;
  return at;
}
