import { failpoint } from '../boot/failpoints.ts';
import type { Gateway } from '../services/gateway.ts';
import { syncPayment } from '../services/sync-payment.ts';
import { syncRefund } from '../services/sync-refund.ts';
import { claimDueChecks } from '../storage/repositories/payments.ts';
import { claimDueRefundChecks } from '../storage/repositories/refunds.ts';
import { forEachLimited } from './limited.ts';
import { drainRounds, RoundTimer } from './rounds.ts';

/** Payments (and refunds) claimed per round. */
export const SYNC_BATCH_MAX = 32;
/**
 * Checks in flight at once. Each is a signed channel request, a verified answer and a commit; a
 * round of 32 started together held the event loop long enough to add tens of milliseconds to
 * every merchant request behind it. Four keep a channel busy without that burst.
 */
export const SYNC_CONCURRENCY_MAX = 4;
/** A claimed check is ours for at least this long; a worker that dies lets it run out. */
export const SYNC_LEASE_MS = 60_000;
/** Channel calls one check may make (a query, then a close when the payment has expired). */
const CALLS_PER_CHECK_MAX = 2;

/**
 * How long a round's claim must hold: checks run SYNC_CONCURRENCY_MAX at a time, so the last one
 * may start only after the others' channel calls have all timed out. A lease that ran out sooner
 * would let another gateway process check the same payment at the same time (harmless, as state
 * changes are version-checked, but wasted).
 */
export function syncLeaseMs(channel_timeout_ms: number): number {
  // A round claims up to SYNC_BATCH_MAX payments and as many refunds.
  const waves = Math.ceil((2 * SYNC_BATCH_MAX) / SYNC_CONCURRENCY_MAX);
  return Math.max(SYNC_LEASE_MS, waves * CALLS_PER_CHECK_MAX * channel_timeout_ms + 10_000);
}
export const SYNC_POLL_INTERVAL_MS = 1_000;

/**
 * Queries open payments and unfinished refunds on their schedule (domain/query-schedule.ts), and
 * closes payments at the channel when they expire.
 * Safe with several gateway processes: each check is claimed before it runs.
 */
export class PaymentSync {
  readonly #timer: RoundTimer;
  constructor(private readonly gw: Gateway) {
    this.#timer = new RoundTimer(
      SYNC_POLL_INTERVAL_MS,
      () => this.runOnce(),
      (error) => this.gw.logger.error({ err: error }, 'payment sync round failed'),
    );
  }

  async runOnce(): Promise<number> {
    const now = this.gw.clock.now_ms();
    const lease_ms = syncLeaseMs(this.gw.settings.channel_timeout_ms);
    const payments = await this.gw.store.transact((tx) => claimDueChecks(tx, now, lease_ms, SYNC_BATCH_MAX));
    const refunds = await this.gw.store.transact((tx) =>
      claimDueRefundChecks(tx, now, lease_ms, SYNC_BATCH_MAX),
    );
    failpoint('sync.after_claim');
    const failed = (what: string, id: string) => (error: unknown) => {
      this.gw.logger.error({ err: error, id }, `${what} sync failed; retried when its lease runs out`);
    };
    const checks = [
      ...payments.map((payment) => () => syncPayment(this.gw, payment).catch(failed('payment', payment.id))),
      ...refunds.map((refund) => () => syncRefund(this.gw, refund).catch(failed('refund', refund.id))),
    ];
    await forEachLimited(checks, SYNC_CONCURRENCY_MAX, (check) => check());
    return payments.length + refunds.length;
  }

  /** Runs rounds until nothing is due (bounded), for tests. */
  drain(rounds_max = 100): Promise<number> {
    return drainRounds(() => this.runOnce(), rounds_max);
  }

  start(): void {
    this.#timer.start();
  }

  /** Stops the timer and waits for a round in progress, so the store can close after it. */
  stop(): Promise<void> {
    return this.#timer.stop();
  }
}
