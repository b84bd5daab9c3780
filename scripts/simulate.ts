import { parseArgs } from 'node:util';
import { cleanUpSimulation, runSeed, SIM_STEPS_DEFAULT } from '../src/sim/simulate.ts';

/**
 * `npm run sim -- --seeds N [--start S] [--steps K]` runs seeds S … S+N-1 of the seeded simulation
 * (src/sim/simulate.ts) and checks the invariants after each; `npm run sim -- --seed S` replays one
 * seed exactly and prints what it found. Exit status 0 when every seed held, 1 otherwise. The last
 * line is "N passed, N failed" (what .ci/run reads).
 */
const { values } = parseArgs({
  options: {
    seeds: { type: 'string' },
    seed: { type: 'string' },
    start: { type: 'string', default: '1' },
    steps: { type: 'string', default: String(SIM_STEPS_DEFAULT) },
    verbose: { type: 'boolean', default: false },
  },
  strict: true,
});
const steps = Number(values.steps);
const seeds: number[] = [];
if (values.seed !== undefined) seeds.push(Number(values.seed));
else {
  const n = Number(values.seeds ?? '20');
  const start = Number(values.start);
  for (let i = 0; i < n; i++) seeds.push(start + i);
}
if (seeds.some((s) => !Number.isInteger(s) || s < 0) || !Number.isInteger(steps) || steps < 1) {
  console.error('usage: npm run sim -- --seeds N [--start S] [--steps K] | --seed S [--verbose]');
  process.exit(2);
}

const started = Date.now();
let passed = 0;
let failed = 0;
let payments = 0;
let refunds = 0;
let crashes = 0;
for (const seed of seeds) {
  const result = await runSeed(seed, { steps, keep_dir: values.seed !== undefined });
  payments += result.stats.payments;
  refunds += result.stats.refunds;
  crashes += result.stats.crashes;
  if (result.ok) passed++;
  else {
    failed++;
    console.log(`seed ${seed} FAILED:`);
    for (const v of result.violations.slice(0, 20)) console.log(`  ${v}`);
    console.log(`  replay: npm run sim -- --seed ${seed} --steps ${steps}`);
    if (result.dir) console.log(`  database kept in ${result.dir}`);
  }
  if (values.seed !== undefined || values.verbose) console.log(JSON.stringify(result));
}
cleanUpSimulation();
const seconds = ((Date.now() - started) / 1000).toFixed(1);
console.log(
  `simulation: ${seeds.length} seeds (${seeds[0]}…${seeds.at(-1)}), ${payments} payments, ${refunds} refunds, ${crashes} crashes in ${seconds} s`,
);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
