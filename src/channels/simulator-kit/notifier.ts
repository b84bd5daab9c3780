import type { Clock } from '../../domain/clock.ts';
import { HttpClientError, type HttpResponse, httpRequest } from '../http-client.ts';

/**
 * What the three simulators' notification senders share: a bounded queue of notifications, each
 * due at some time of the injected clock, sent in batches by `deliverDue()` and retried on the
 * channel's schedule until the channel's notion of an acknowledgement, or given up after the last
 * retry. Each channel supplies its schedule, how to send one attempt (build/sign the request, judge
 * the reply) and the fields of its notifications.
 *
 * Time only moves through the injected clock: `deliverDue()` sends what is due at `clock.now_ms()`,
 * so a test with a ManualClock walks a whole day's schedule in milliseconds.
 */

/** Notifications kept (pending and finished); finished ones are dropped first when full. */
export const NOTIFICATIONS_MAX = 10_000;
/** Sends started by one `deliverDue()` call, and how many run at once. */
const DELIVERY_BATCH_MAX = 256;
const DELIVERY_PARALLEL_MAX = 16;
/** The merchant's reply body is read only up to this size. */
const REPLY_BODY_LIMIT_BYTES = 64 * 1024;

/**
 * `pending` and `withheld` are open (a withheld one waits for a release); the others are finished.
 * `dropped` is a fault: the notification is never sent.
 */
export type QueuedState = 'pending' | 'withheld' | 'delivered' | 'given_up' | 'dropped';

export interface AttemptRecord {
  at_ms: number;
  /** `HTTP 204`, `timeout`, `connection_refused`, … (the channel words it). */
  result: string;
}

export interface QueuedNotification {
  state: QueuedState;
  attempts: AttemptRecord[];
  /** When the next attempt is due; null once finished or while withheld. */
  next_at_ms: number | null;
  /** Sent after the others of its batch, one at a time, newest (highest `seq`) first. */
  reorder?: boolean;
  seq?: number;
}

export interface DeliveryReport {
  attempted: number;
  delivered: number;
  failed: number;
  given_up: number;
}

/** The outcome of one attempt: whether it ends the retries, and how to record it. */
export interface SendOutcome {
  acknowledged: boolean;
  result: string;
}

/** How a notification shows in a simulator's order view (GET /sim/orders/…). */
export interface NotificationProgress<S extends QueuedState = QueuedState> {
  state: S;
  attempts: number;
  next_at_ms: number | null;
  last_result: string | null;
}

export function progressOf<N extends QueuedNotification>(n: N): NotificationProgress<N['state']> {
  return {
    state: n.state,
    attempts: n.attempts.length,
    next_at_ms: n.next_at_ms,
    last_result: n.attempts.at(-1)?.result ?? null,
  };
}

export class NotificationQueueFull extends Error {
  override name = 'NotificationQueueFull';
}

export interface NotificationQueueOptions<N> {
  clock: Clock;
  /** Gaps between sends: the first send plus one per gap, then it is given up. */
  retry_delays_ms: readonly number[];
  /** The notification's key in the queue. */
  keyOf(n: N): string;
  /** One attempt. A throw counts as a failed attempt, recorded as `failureOf(error)`. */
  send(n: N): Promise<SendOutcome>;
}

/** POSTs a notification body to the merchant (the reply body read only up to 64 KiB). */
export function postNotification(
  url: string,
  headers: Record<string, string>,
  body: string,
  timeout_ms: number,
): Promise<HttpResponse> {
  return httpRequest({
    method: 'POST',
    url,
    headers,
    body,
    timeout_ms,
    body_limit_bytes: REPLY_BODY_LIMIT_BYTES,
  });
}

/** A failed send: the transport's error kind (`timeout`, `connection_refused`, …) or `error`. */
export function failureOf(error: unknown): SendOutcome {
  return { acknowledged: false, result: error instanceof HttpClientError ? error.kind : 'error' };
}

export class NotificationQueue<N extends QueuedNotification> {
  private readonly notifications = new Map<string, N>();
  private readonly in_flight = new Set<string>();

  constructor(private readonly queue: NotificationQueueOptions<N>) {}

  /** Whether one more notification fits (after dropping finished ones if needed). */
  hasRoom(): boolean {
    if (this.notifications.size < NOTIFICATIONS_MAX) return true;
    for (const n of this.notifications.values()) if (!isOpen(n)) return true;
    return false;
  }

  /** Queues `n` under its key, dropping the oldest finished notification if the queue is full. */
  protected add(n: N): void {
    this.makeRoom();
    this.notifications.set(this.queue.keyOf(n), n);
  }

  /** Withheld notifications that match become due now; returns how many. */
  protected releaseWhere(matches: (n: N) => boolean): number {
    let released = 0;
    for (const n of this.notifications.values()) {
      if (n.state !== 'withheld' || !matches(n)) continue;
      n.state = 'pending';
      n.next_at_ms = this.queue.clock.now_ms();
      released++;
    }
    return released;
  }

  protected where(matches: (n: N) => boolean): N[] {
    const out: N[] = [];
    for (const n of this.notifications.values()) if (matches(n)) out.push(n);
    return out;
  }

  /** Sends every notification due at the clock's now (up to a batch), and waits for the answers. */
  async deliverDue(): Promise<DeliveryReport> {
    const now_ms = this.queue.clock.now_ms();
    const due: N[] = [];
    for (const n of this.notifications.values()) {
      if (due.length >= DELIVERY_BATCH_MAX) break;
      if (
        n.state === 'pending' &&
        n.next_at_ms !== null &&
        n.next_at_ms <= now_ms &&
        !this.in_flight.has(this.queue.keyOf(n))
      ) {
        due.push(n);
      }
    }
    const report: DeliveryReport = { attempted: 0, delivered: 0, failed: 0, given_up: 0 };
    // Reordered ones go one at a time, newest first, after the rest: the receiver sees them reversed.
    const in_order = due.filter((n) => !n.reorder);
    const reordered = due.filter((n) => n.reorder).sort((a, b) => (b.seq ?? 0) - (a.seq ?? 0));
    const rounds = [
      ...Array.from({ length: Math.ceil(in_order.length / DELIVERY_PARALLEL_MAX) }, (_, i) =>
        in_order.slice(i * DELIVERY_PARALLEL_MAX, (i + 1) * DELIVERY_PARALLEL_MAX),
      ),
      ...reordered.map((n) => [n]),
    ];
    for (const slice of rounds) {
      const outcomes = await Promise.all(slice.map((n) => this.attempt(n)));
      for (const state of outcomes) {
        report.attempted++;
        if (state === 'delivered') report.delivered++;
        else report.failed++;
        if (state === 'given_up') report.given_up++;
      }
    }
    return report;
  }

  private async attempt(n: N): Promise<QueuedState> {
    const key = this.queue.keyOf(n);
    this.in_flight.add(key);
    const started_ms = this.queue.clock.now_ms();
    let outcome: SendOutcome;
    try {
      outcome = await this.queue.send(n);
    } catch (error) {
      outcome = failureOf(error);
    } finally {
      this.in_flight.delete(key);
    }
    n.attempts.push({ at_ms: started_ms, result: outcome.result });
    const retry_delays_ms = this.queue.retry_delays_ms;
    if (outcome.acknowledged) {
      n.state = 'delivered';
      n.next_at_ms = null;
    } else if (n.attempts.length >= 1 + retry_delays_ms.length) {
      n.state = 'given_up';
      n.next_at_ms = null;
    } else {
      n.next_at_ms = started_ms + retry_delays_ms[n.attempts.length - 1]!;
    }
    return n.state;
  }

  private makeRoom(): void {
    if (this.notifications.size < NOTIFICATIONS_MAX) return;
    for (const [key, n] of this.notifications) {
      if (!isOpen(n)) {
        this.notifications.delete(key);
        return;
      }
    }
    throw new NotificationQueueFull(`${NOTIFICATIONS_MAX} notifications are still pending`);
  }
}

function isOpen(n: QueuedNotification): boolean {
  return n.state === 'pending' || n.state === 'withheld';
}
