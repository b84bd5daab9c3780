import { describe, expect, it } from 'vitest';
import { SYNC_BATCH_MAX, SYNC_CONCURRENCY_MAX, SYNC_LEASE_MS, syncLeaseMs } from './payment-sync.ts';

describe('payment sync lease', () => {
  it('outlasts a round whose every channel call times out', () => {
    const timeout_ms = 10_000;
    const waves = Math.ceil((2 * SYNC_BATCH_MAX) / SYNC_CONCURRENCY_MAX);
    // The last check starts after all earlier waves timed out, then makes its own two calls.
    expect(syncLeaseMs(timeout_ms)).toBeGreaterThan(waves * 2 * timeout_ms);
  });

  it('never drops below the base lease', () => {
    expect(syncLeaseMs(100)).toBe(SYNC_LEASE_MS);
  });
});
