import { failpoint } from '../boot/failpoints.ts';
import type { Gateway } from '../services/gateway.ts';
import { syncPayment } from '../services/sync-payment.ts';
import { syncRefund } from '../services/sync-refund.ts';
import { claimDueChecks, oldestDuePaymentCheckAt } from '../storage/repositories/payments.ts';
import { claimDueRefundChecks, oldestDueRefundCheckAt } from '../storage/repositories/refunds.ts';
import { type Tx, UNFLUSHED } from '../storage/transact.ts';
import { drainRounds, RoundTimer } from './rounds.ts';

/**
 * Checks in flight at once: one lane per this many checks a round may run, and at least
 * SYNC_LANES_MIN. Each check is a signed channel request, a verified answer and a commit; started
 * all together, a round's 32 checks held the event loop long enough to add tens of milliseconds to
 * every merchant request behind them. A few lanes keep the channel busy without that burst, and
 * more lanes for a larger budget keep a round inside its second when the channel answers slowly
 * (eight checks at 100 ms each fill one lane's second). Each lane claims one check just before it
 * runs it, so a claim's lease runs only while its own check does, and a process that dies
 * mid-round strands at most one check per lane until the lease runs out.
 */
export const SYNC_CHECKS_PER_LANE = 8;
export const SYNC_LANES_MIN = 4;

/** Lanes for a round of `checks_per_round` checks of each kind. */
export function syncLanes(checks_per_round: number): number {
  return Math.max(SYNC_LANES_MIN, Math.ceil(checks_per_round / SYNC_CHECKS_PER_LANE));
}
/** A claimed check is ours for this long; a worker that dies lets it run out. */
export const SYNC_LEASE_MS = 60_000;
export const SYNC_POLL_INTERVAL_MS = 1_000;

const CHECK_KINDS = ['payment', 'refund'] as const;
type CheckKind = (typeof CHECK_KINDS)[number];

/**
 * What the job does for each kind: claim due rows (a claim does not wait for the disk: lost to a
 * power cut, it only lets the check run again; ADR 0007), run one row's check, and tell when the
 * most overdue waiting check was due.
 */
interface CheckKindOps {
  // Method syntax lets each kind give functions of its own row type; a row claimed for one kind
  // only ever goes to the same kind's run.
  claim(tx: Tx, now_ms: number, lease_ms: number, limit: number): Promise<Array<{ id: string }>>;
  run(gw: Gateway, row: { id: string }): Promise<unknown>;
  oldestDueAt(db: Gateway['store']['db'], now_ms: number): Promise<number | null>;
}
const CHECKS: Record<CheckKind, CheckKindOps> = {
  payment: { claim: claimDueChecks, run: syncPayment, oldestDueAt: oldestDuePaymentCheckAt },
  refund: { claim: claimDueRefundChecks, run: syncRefund, oldestDueAt: oldestDueRefundCheckAt },
};

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

  /**
   * One round: up to `settings.sync_checks_per_s` due checks of each kind (a round a second, so
   * that is the job's rate; PAYMUX_SYNC_CHECKS_PER_S).
   */
  async runOnce(): Promise<number> {
    const budget = this.gw.settings.sync_checks_per_s;
    const left: Record<CheckKind, number> = { payment: budget, refund: budget };
    let checked = 0;
    const lane = async (lane_no: number): Promise<void> => {
      // A kind this lane found nothing due of is not asked for again this round.
      const dry: Record<CheckKind, boolean> = { payment: false, refund: false };
      /** Runs the next due check of `kind` if the round has room for one; false when it ran none. */
      const next = async (kind: CheckKind): Promise<boolean> => {
        if (dry[kind] || left[kind] === 0) return false;
        left[kind] -= 1; // taken before the await, so the lanes together never exceed the budget
        const ran = await this.checkNext(kind);
        if (!ran) {
          // None due (or another lane or process took it first): the room goes back to the round.
          left[kind] += 1;
          dry[kind] = true;
        }
        return ran;
      };
      for (let turn = 0; turn < 2 * budget; turn++) {
        // Lanes and turns alternate which kind they ask for first, so neither starves the other.
        const first = (lane_no + turn) % 2 === 0 ? 'payment' : 'refund';
        const ran = (await next(first)) || (await next(first === 'payment' ? 'refund' : 'payment'));
        if (!ran) return;
        checked += 1;
      }
    };
    await Promise.all(Array.from({ length: syncLanes(budget) }, (_, n) => lane(n)));
    await this.recordLag();
    return checked;
  }

  /** What is still due after the round, as an age: the sign that checks fall due faster than rounds run them. */
  private async recordLag(): Promise<void> {
    const now = this.gw.clock.now_ms();
    for (const kind of CHECK_KINDS) {
      const due_at = await CHECKS[kind].oldestDueAt(this.gw.store.db, now);
      this.gw.metrics.sync_lag_seconds.set({ kind }, due_at === null ? 0 : (now - due_at) / 1000);
    }
  }

  /** Claims the next due check of `kind` and runs it; false when none is due. */
  private async checkNext(kind: CheckKind): Promise<boolean> {
    const now = this.gw.clock.now_ms();
    const check = CHECKS[kind];
    const [row] = await this.gw.store.transact((tx) => check.claim(tx, now, SYNC_LEASE_MS, 1), UNFLUSHED);
    if (!row) return false;
    failpoint('sync.after_claim');
    await check.run(this.gw, row).catch(this.failed(kind, row.id));
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
