import type { Clock } from '../../../domain/clock.ts';
import {
  type AttemptRecord,
  type DeliveryReport,
  failureOf,
  NotificationQueue,
  postNotification,
  type SendOutcome,
} from '../../simulator-kit/notifier.ts';

export type { AttemptRecord, DeliveryReport };

/**
 * The simulated Alipay's notification sender (protocols.md §3.6, §6): one form-encoded
 * trade_status_sync POST per event to the order's notify_url, retried until the body of the reply
 * is exactly `success`, on Alipay's schedule — the first send, then 4m, 10m, 10m, 1h, 2h, 6h, 15h
 * (8 sends in about 25 h). The form is built and signed once: every attempt sends the same bytes
 * (the notify_id does not change across retries).
 *
 * Time only moves through the injected clock: `deliverDue()` sends what is due at `clock.now_ms()`.
 */
export const NOTIFY_RETRY_DELAYS_MS: readonly number[] = [
  4 * 60_000,
  10 * 60_000,
  10 * 60_000,
  3600_000,
  2 * 3600_000,
  6 * 3600_000,
  15 * 3600_000,
];
export const NOTIFY_ATTEMPTS_MAX = 1 + NOTIFY_RETRY_DELAYS_MS.length;
/** The exact reply that ends retries. */
export const NOTIFY_ACK = 'success';
export const NOTIFY_TIMEOUT_MS = 5_000;
/** Copies of one send under duplicate_notification. */
const COPIES_MAX = 10;

export type NotificationState = 'pending' | 'withheld' | 'delivered' | 'given_up';

export interface SimNotification {
  notify_id: string;
  out_trade_no: string;
  notify_url: string;
  body: string;
  /** Sends per attempt (duplicate_notification). */
  copies: number;
  state: NotificationState;
  attempts: AttemptRecord[];
  next_at_ms: number | null;
}

export interface EnqueueOptions {
  delay_ms?: number;
  withhold?: boolean;
  copies?: number;
}

export class Notifier extends NotificationQueue<SimNotification> {
  constructor(private readonly clock: Clock) {
    super({
      clock,
      retry_delays_ms: NOTIFY_RETRY_DELAYS_MS,
      keyOf: (n) => n.notify_id,
      send: (n) => this.send(n),
    });
  }

  enqueue(
    notify_id: string,
    out_trade_no: string,
    notify_url: string,
    body: string,
    options: EnqueueOptions = {},
  ) {
    const n: SimNotification = {
      notify_id,
      out_trade_no,
      notify_url,
      body,
      copies: Math.min(Math.max(options.copies ?? 1, 1), COPIES_MAX),
      state: options.withhold ? 'withheld' : 'pending',
      attempts: [],
      next_at_ms: options.withhold ? null : this.clock.now_ms() + (options.delay_ms ?? 0),
    };
    this.add(n);
    return n;
  }

  /** Withheld notifications become due now; returns how many. */
  release(): number {
    return this.releaseWhere(() => true);
  }

  forOrder(out_trade_no: string): SimNotification[] {
    return this.where((n) => n.out_trade_no === out_trade_no);
  }

  /** One attempt: duplicates go out at once, concurrently, as a real double delivery would. */
  private async send(n: SimNotification): Promise<SendOutcome> {
    const sends = await Promise.all(Array.from({ length: n.copies }, () => this.sendOnce(n)));
    return sends.find((s) => s.acknowledged) ?? sends[0]!;
  }

  /** Only a reply body of exactly `success` acknowledges it. */
  private async sendOnce(n: SimNotification): Promise<SendOutcome> {
    try {
      const response = await postNotification(
        n.notify_url,
        { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', 'user-agent': 'Mozilla/4.0' },
        n.body,
        NOTIFY_TIMEOUT_MS,
      );
      const acknowledged = response.body === NOTIFY_ACK;
      return { acknowledged, result: `HTTP ${response.status} ${acknowledged ? NOTIFY_ACK : 'other'}` };
    } catch (error) {
      return failureOf(error);
    }
  }
}
