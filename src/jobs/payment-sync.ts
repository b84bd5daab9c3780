import { failpoint } from '../boot/failpoints.ts';
import type { Gateway } from '../services/gateway.ts';
import { syncPayment } from '../services/sync-payment.ts';
import { syncRefund } from '../services/sync-refund.ts';
import { claimDueChecks } from '../storage/repositories/payments.ts';
import { claimDueRefundChecks } from '../storage/repositories/refunds.ts';
import { drainRounds, RoundTimer } from './rounds.ts';

/** Checks (payments and refunds together) one round makes at most. */
export const SYNC_ROUND_CHECKS_MAX = 64;
/**
 * Checks in flight at once. Each is a signed channel request, a verified answer and a commit;
 * started all together, a round's checks held the event loop long enough to add tens of
 * milliseconds to every merchant request behind them. A few lanes keep the channel busy without
 * that burst. Each lane claims one check just before it runs it, so a claim's lease runs only
 * while its own check does, and a process that dies mid-round strands at most one check per lane
 * until the lease runs out.
 */
export const SYNC_CONCURRENCY_MAX = 4;
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
    let checked = 0;
    const lane = async (lane_no: number): Promise<void> => {
      for (let i = 0; i < SYNC_ROUND_CHECKS_MAX / SYNC_CONCURRENCY_MAX; i++) {
        // Lanes and turns alternate which kind they look at first, so neither starves the other.
        const refunds_first = (lane_no + i) % 2 === 1;
        const ran = refunds_first
          ? (await this.checkNextRefund()) || (await this.checkNextPayment())
          : (await this.checkNextPayment()) || (await this.checkNextRefund());
        if (!ran) return;
        checked += 1;
      }
    };
    await Promise.all(Array.from({ length: SYNC_CONCURRENCY_MAX }, (_, n) => lane(n)));
    return checked;
  }

  /** Claims the next due payment check and runs it; false when none is due. */
  private async checkNextPayment(): Promise<boolean> {
    const now = this.gw.clock.now_ms();
    const [payment] = await this.gw.store.transact((tx) => claimDueChecks(tx, now, SYNC_LEASE_MS, 1));
    if (!payment) return false;
    failpoint('sync.after_claim');
    await syncPayment(this.gw, payment).catch(this.failed('payment', payment.id));
    return true;
  }

  /** Claims the next due refund check and runs it; false when none is due. */
  private async checkNextRefund(): Promise<boolean> {
    const now = this.gw.clock.now_ms();
    const [refund] = await this.gw.store.transact((tx) => claimDueRefundChecks(tx, now, SYNC_LEASE_MS, 1));
    if (!refund) return false;
    failpoint('sync.after_claim');
    await syncRefund(this.gw, refund).catch(this.failed('refund', refund.id));
    return true;
  }

  private failed(what: string, id: string) {
    return (error: unknown) => {
      this.gw.logger.error({ err: error, id }, `${what} sync failed; retried when its lease runs out`);
    };
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
