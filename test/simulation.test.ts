import { afterAll, describe, expect, it } from 'vitest';
import { cleanUpSimulation, runSeed } from '../src/sim/simulate.ts';

/**
 * The seeded simulation (src/sim/simulate.ts): a few dozen seeds of merchants, payers, channel
 * faults and gateway crashes, each checked against the invariants; and the same seed twice gives
 * the same result. `npm run sim -- --seeds N` runs many more (CI runs them after this suite).
 */
const SEEDS = 16;

describe('seeded simulation', () => {
  afterAll(() => cleanUpSimulation());

  it(`holds every invariant over ${SEEDS} seeds`, async () => {
    const failures: string[] = [];
    let crashes = 0;
    for (let seed = 1000; seed < 1000 + SEEDS; seed++) {
      const result = await runSeed(seed);
      crashes += result.stats.crashes;
      if (!result.ok)
        failures.push(
          `seed ${seed} (replay: npm run sim -- --seed ${seed}):\n  ${result.violations.join('\n  ')}`,
        );
    }
    expect(failures).toEqual([]);
    expect(crashes).toBeGreaterThan(SEEDS);
  }, 180_000);

  it('replays a seed exactly', async () => {
    const a = await runSeed(4242);
    const b = await runSeed(4242);
    expect(a.stats.crashes).toBeGreaterThan(0);
    expect(b).toEqual(a);
  }, 60_000);
});
