import type { Clock } from '../../../domain/clock.ts';
import { HttpClientError, httpRequest } from '../../http-client.ts';

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
export const NOTIFICATIONS_MAX = 10_000;
const DELIVERY_BATCH_MAX = 256;
const DELIVERY_PARALLEL_MAX = 16;
const REPLY_BODY_LIMIT_BYTES = 64 * 1024;
/** Copies of one send under duplicate_notification. */
const COPIES_MAX = 10;

export type NotificationState = 'pending' | 'withheld' | 'delivered' | 'given_up';

export interface AttemptRecord {
  at_ms: number;
  /** `HTTP 200 success`, `HTTP 200 other`, `timeout`, … */
  result: string;
}

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

export interface DeliveryReport {
  attempted: number;
  delivered: number;
  failed: number;
  given_up: number;
}

export class NotificationQueueFull extends Error {
  override name = 'NotificationQueueFull';
}

export interface EnqueueOptions {
  delay_ms?: number;
  withhold?: boolean;
  copies?: number;
}

export class Notifier {
  private readonly notifications = new Map<string, SimNotification>();
  private readonly in_flight = new Set<string>();

  constructor(private readonly clock: Clock) {}

  hasRoom(): boolean {
    if (this.notifications.size < NOTIFICATIONS_MAX) return true;
    for (const n of this.notifications.values())
      if (n.state === 'delivered' || n.state === 'given_up') return true;
    return false;
  }

  enqueue(
    notify_id: string,
    out_trade_no: string,
    notify_url: string,
    body: string,
    options: EnqueueOptions = {},
  ) {
    this.makeRoom();
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
    this.notifications.set(notify_id, n);
    return n;
  }

  /** Withheld notifications become due now; returns how many. */
  release(): number {
    let released = 0;
    for (const n of this.notifications.values()) {
      if (n.state !== 'withheld') continue;
      n.state = 'pending';
      n.next_at_ms = this.clock.now_ms();
      released++;
    }
    return released;
  }

  forOrder(out_trade_no: string): SimNotification[] {
    const out: SimNotification[] = [];
    for (const n of this.notifications.values()) if (n.out_trade_no === out_trade_no) out.push(n);
    return out;
  }

  async deliverDue(): Promise<DeliveryReport> {
    const now_ms = this.clock.now_ms();
    const due: SimNotification[] = [];
    for (const n of this.notifications.values()) {
      if (due.length >= DELIVERY_BATCH_MAX) break;
      if (
        n.state === 'pending' &&
        n.next_at_ms !== null &&
        n.next_at_ms <= now_ms &&
        !this.in_flight.has(n.notify_id)
      )
        due.push(n);
    }
    const report: DeliveryReport = { attempted: 0, delivered: 0, failed: 0, given_up: 0 };
    for (let i = 0; i < due.length; i += DELIVERY_PARALLEL_MAX) {
      const outcomes = await Promise.all(due.slice(i, i + DELIVERY_PARALLEL_MAX).map((n) => this.attempt(n)));
      for (const state of outcomes) {
        report.attempted++;
        if (state === 'delivered') report.delivered++;
        else report.failed++;
        if (state === 'given_up') report.given_up++;
      }
    }
    return report;
  }

  private async sendOnce(n: SimNotification): Promise<{ acknowledged: boolean; result: string }> {
    try {
      const response = await httpRequest({
        method: 'POST',
        url: n.notify_url,
        headers: {
          'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
          'user-agent': 'Mozilla/4.0',
        },
        body: n.body,
        timeout_ms: NOTIFY_TIMEOUT_MS,
        body_limit_bytes: REPLY_BODY_LIMIT_BYTES,
      });
      const acknowledged = response.body === NOTIFY_ACK;
      return { acknowledged, result: `HTTP ${response.status} ${acknowledged ? NOTIFY_ACK : 'other'}` };
    } catch (error) {
      return { acknowledged: false, result: error instanceof HttpClientError ? error.kind : 'error' };
    }
  }

  private async attempt(n: SimNotification): Promise<NotificationState> {
    this.in_flight.add(n.notify_id);
    const started_ms = this.clock.now_ms();
    let outcome = { acknowledged: false, result: 'error' };
    try {
      // Duplicates go out at once, concurrently, as a real double delivery would.
      const sends = await Promise.all(Array.from({ length: n.copies }, () => this.sendOnce(n)));
      outcome = sends.find((s) => s.acknowledged) ?? sends[0]!;
    } finally {
      this.in_flight.delete(n.notify_id);
    }
    n.attempts.push({ at_ms: started_ms, result: outcome.result });
    if (outcome.acknowledged) {
      n.state = 'delivered';
      n.next_at_ms = null;
    } else if (n.attempts.length >= NOTIFY_ATTEMPTS_MAX) {
      n.state = 'given_up';
      n.next_at_ms = null;
    } else {
      n.next_at_ms = started_ms + NOTIFY_RETRY_DELAYS_MS[n.attempts.length - 1]!;
    }
    return n.state;
  }

  private makeRoom(): void {
    if (this.notifications.size < NOTIFICATIONS_MAX) return;
    for (const [id, n] of this.notifications) {
      if (n.state === 'delivered' || n.state === 'given_up') {
        this.notifications.delete(id);
        return;
      }
    }
    throw new NotificationQueueFull(`${NOTIFICATIONS_MAX} notifications are still pending`);
  }
}
