import { describe, expect, it } from 'vitest';
import { runCrashTest } from './support/crash-run.ts';

/**
 * The gateway is SIGKILLed at its own failpoints (src/boot/failpoints.ts) under merchant load across
 * the three channels and restarted each time; after recovery every invariant holds (see
 * docs/crash-safety.md). The simulators run in their own processes. `npm run crash` is the large run.
 */
const SEED = Number(process.env.PAYMUX_CRASH_SEED ?? Math.floor(Math.random() * 1_000_000));

describe('crash safety', () => {
  it(`keeps every invariant through gateway crashes (seed ${SEED})`, async () => {
    console.log(
      `crash test seed ${SEED} (replay: PAYMUX_CRASH_SEED=${SEED} npx vitest run test/crash.test.ts)`,
    );
    const result = await runCrashTest({
      seed: SEED,
      payments: 300,
      refunds: 40,
      crashes_max: 5,
      crash_probability: 0.004,
      concurrency: 12,
      recovery_deadline_ms: 90_000,
    });
    if (!result.ok) console.log(`crash test seed ${SEED} failed; replay: ${result.replay}`);
    expect(result.violations).toEqual([]);
    expect(result.payments).toBe(300);
    expect(result.refunds).toBeGreaterThan(0);
    expect(result.crashes).toBeGreaterThan(0);
  }, 240_000);
});
