import { parseArgs } from 'node:util';
import { runCrashTest } from '../test/support/crash-run.ts';

/**
 * `npm run crash -- --payments 2000 --refunds 200 [--seed S] [--crashes N] [--probability P]`:
 * the crash test at scale (test/support/crash-run.ts). Prints the seed first and, on failure, the
 * command that replays it. Exit status 0 when every invariant held.
 */
const { values } = parseArgs({
  options: {
    seed: { type: 'string' },
    payments: { type: 'string', default: '2000' },
    refunds: { type: 'string', default: '200' },
    crashes: { type: 'string', default: '20' },
    probability: { type: 'string', default: '0.003' },
    concurrency: { type: 'string', default: '8' },
    deadline: { type: 'string', default: '180' },
  },
  strict: true,
});
const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 1_000_000);
console.log(`crash test seed ${seed}`);
const result = await runCrashTest({
  seed,
  payments: Number(values.payments),
  refunds: Number(values.refunds),
  crashes_max: Number(values.crashes),
  crash_probability: Number(values.probability),
  concurrency: Number(values.concurrency),
  recovery_deadline_ms: Number(values.deadline) * 1000,
  log: (line) => console.log(`  ${line}`),
});
console.log(
  `${result.payments} payments, ${result.refunds} refunds, ${result.crashes} crashes (${result.restarts} restarts) in ${result.seconds} s`,
);
if (!result.ok) {
  console.log('INVARIANTS BROKEN:');
  for (const v of result.violations.slice(0, 40)) console.log(`  ${v}`);
  console.log(`replay: ${result.replay}`);
  process.exit(1);
}
console.log('every invariant held');
