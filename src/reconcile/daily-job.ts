import { registeredChannels } from '../channels/registry.ts';
import type { Gateway } from '../services/gateway.ts';
import { beijingTimeOfDayMs, beijingYesterdayOf } from './beijing-day.ts';
import { isClean } from './reconcile-account.ts';
import { defaultOutDir, reconcileChannel } from './reconcile-channel.ts';
import type { AccountReport } from './report.ts';

/**
 * Reconciles yesterday's bills of every channel once a day. Channels publish day D's bill after
 * 10:00 Beijing on D+1 (WeChat says so; Alipay and UnionPay are earlier), so the run waits for
 * RUN_AFTER_MS past Beijing midnight. The decision uses the injected clock; the timer only wakes
 * the check. A day whose run failed outright is tried again at the next check.
 */
export const RUN_AFTER_MS = 10 * 3_600_000;
export const CHECK_INTERVAL_MS = 60_000;

export interface DailyReconciliationOptions {
  data_dir: string;
  /** Channels to reconcile; default every registered one (accounts without bills are reported so). */
  channels?: readonly string[];
}

export class DailyReconciliation {
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  /** The last bill date whose run finished (clean or not: an unresolved day is reported, not redone). */
  #done_date: string | null = null;

  constructor(
    private readonly gw: Gateway,
    private readonly options: DailyReconciliationOptions,
  ) {}

  /** Reconciles one Beijing day on every channel; returns every account's report. */
  async runOnce(bill_date: string): Promise<AccountReport[]> {
    const reports: AccountReport[] = [];
    for (const channel of this.options.channels ?? registeredChannels()) {
      const out_dir = defaultOutDir(this.options.data_dir, channel, bill_date);
      reports.push(...(await reconcileChannel(this.gw, channel, bill_date, { out_dir })));
    }
    const unresolved = reports.filter((r) => !isClean(r)).map((r) => r.account_id);
    if (unresolved.length > 0)
      this.gw.logger.warn({ bill_date, accounts: unresolved }, 'reconciliation left differences unresolved');
    else this.gw.logger.info({ bill_date, accounts: reports.length }, 'reconciliation clean');
    return reports;
  }

  /** Runs yesterday's bills if it is past 10:00 Beijing and they have not run yet; returns whether it ran. */
  async tick(): Promise<boolean> {
    if (this.#running) return false;
    const now_ms = this.gw.clock.now_ms();
    const date = beijingYesterdayOf(now_ms);
    if (beijingTimeOfDayMs(now_ms) < RUN_AFTER_MS || this.#done_date === date) return false;
    this.#running = this.runOnce(date).then(
      () => {
        this.#done_date = date;
      },
      (error: unknown) => {
        this.gw.logger.error({ bill_date: date, err: error }, 'daily reconciliation failed; will retry');
      },
    );
    try {
      await this.#running;
    } finally {
      this.#running = null;
    }
    return this.#done_date === date;
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.tick(), CHECK_INTERVAL_MS);
    this.#timer.unref();
    void this.tick();
  }

  /** Stops the timer; a run in progress finishes. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#running;
  }
}
