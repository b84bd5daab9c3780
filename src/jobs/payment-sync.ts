import { failpoint } from '../boot/failpoints.ts';
import type { Gateway } from '../services/gateway.ts';
import { syncPayment } from '../services/sync-payment.ts';
import { syncRefund } from '../services/sync-refund.ts';
import { claimDueChecks } from '../storage/repositories/payments.ts';
import { claimDueRefundChecks } from '../storage/repositories/refunds.ts';
import { drainRounds, RoundTimer } from './rounds.ts';

/** Payments checked per round (and at most in flight at once). */
export const SYNC_BATCH_MAX = 32;
/** A claimed check is ours for this long; a worker that dies lets it run out. */
export const SYNC_LEASE_MS = 60_000;
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
    const payments = await this.gw.store.transact((tx) =>
      claimDueChecks(tx, now, SYNC_LEASE_MS, SYNC_BATCH_MAX),
    );
    const refunds = await this.gw.store.transact((tx) =>
      claimDueRefundChecks(tx, now, SYNC_LEASE_MS, SYNC_BATCH_MAX),
    );
    failpoint('sync.after_claim');
    const failed = (what: string, id: string) => (error: unknown) => {
      this.gw.logger.error({ err: error, id }, `${what} sync failed; retried when its lease runs out`);
    };
    await Promise.all([
      ...payments.map((payment) => syncPayment(this.gw, payment).catch(failed('payment', payment.id))),
      ...refunds.map((refund) => syncRefund(this.gw, refund).catch(failed('refund', refund.id))),
    ]);
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
