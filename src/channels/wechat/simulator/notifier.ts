import type { Clock } from '../../../domain/clock.ts';
import { alphanumericNonce, type Random } from '../../../domain/random.ts';
import { HttpClientError, httpRequest } from '../../http-client.ts';
import { aeadEncrypt } from '../crypto.ts';
import { toRfc3339Beijing } from '../time.ts';
import { EVENT_TRANSACTION_SUCCESS, NOTIFICATION_ALGORITHM, type NotificationEnvelope } from '../wire.ts';
import type { SimMerchant } from './merchants.ts';
import { type SimOrder, transactionOf } from './orders.ts';
import type { PlatformSigner } from './signer.ts';

/**
 * The simulated WeChat Pay's notification sender (protocols.md §1.6, §6): one TRANSACTION.SUCCESS
 * per paid order, its resource sealed with the merchant's APIv3 key, POSTed to the order's
 * notify_url. A 200 or 204 ends it; anything else (other status, timeout, refused connection) is
 * retried on WeChat's schedule, after which WeChat gives up and the merchant must query.
 *
 * Time only moves through the injected clock: `deliverDue()` sends what is due at `clock.now_ms()`,
 * so a test with a ManualClock walks the whole 24-hour schedule in milliseconds.
 */

/** Gaps between sends: 15s,15s,30s,3m,10m,20m,30m,30m,30m,60m,3h,3h,3h,6h,6h (24 h 4 min in all). */
export const NOTIFY_RETRY_DELAYS_MS: readonly number[] = [
  15_000,
  15_000,
  30_000,
  3 * 60_000,
  10 * 60_000,
  20 * 60_000,
  30 * 60_000,
  30 * 60_000,
  30 * 60_000,
  60 * 60_000,
  3 * 3600_000,
  3 * 3600_000,
  3 * 3600_000,
  6 * 3600_000,
  6 * 3600_000,
];
/** The first send plus one per retry. */
export const NOTIFY_ATTEMPTS_MAX = 1 + NOTIFY_RETRY_DELAYS_MS.length;
/** A merchant has about 5 s to answer or the attempt counts as failed. */
export const NOTIFY_TIMEOUT_MS = 5_000;
/** Notifications kept (pending and finished); finished ones are dropped first when full. */
export const NOTIFICATIONS_MAX = 10_000;
/** Sends started by one `deliverDue()` call, and how many run at once. */
const DELIVERY_BATCH_MAX = 256;
const DELIVERY_PARALLEL_MAX = 16;
/** The merchant's reply body is ignored; it is read only up to this size. */
const REPLY_BODY_LIMIT_BYTES = 64 * 1024;

export type NotificationState = 'pending' | 'delivered' | 'given_up';

export interface AttemptRecord {
  at_ms: number;
  /** `HTTP 204`, `timeout`, `connection_refused`, … */
  result: string;
}

export interface SimNotification {
  id: string;
  out_trade_no: string;
  notify_url: string;
  /** The envelope JSON, identical on every attempt (only the signature headers are fresh). */
  body: string;
  state: NotificationState;
  attempts: AttemptRecord[];
  /** When the next attempt is due; null once delivered or given up. */
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

function uuidFrom(random: Random): string {
  const hex = random.bytes(16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export class Notifier {
  private readonly notifications = new Map<string, SimNotification>();
  private readonly in_flight = new Set<string>();

  constructor(
    private readonly clock: Clock,
    private readonly random: Random,
    private readonly signer: PlatformSigner,
  ) {}

  /** Whether one more notification fits (after dropping finished ones if needed). */
  hasRoom(): boolean {
    if (this.notifications.size < NOTIFICATIONS_MAX) return true;
    for (const n of this.notifications.values()) if (n.state !== 'pending') return true;
    return false;
  }

  /** Queues the TRANSACTION.SUCCESS notification of a paid order, due now. */
  enqueuePaid(order: SimOrder, merchant: SimMerchant): SimNotification {
    this.makeRoom();
    const now_ms = this.clock.now_ms();
    const associated_data = 'transaction';
    const nonce = alphanumericNonce(this.random, 12);
    const envelope: NotificationEnvelope = {
      id: uuidFrom(this.random),
      create_time: toRfc3339Beijing(now_ms),
      resource_type: 'encrypt-resource',
      event_type: EVENT_TRANSACTION_SUCCESS,
      summary: '支付成功',
      resource: {
        original_type: 'transaction',
        algorithm: NOTIFICATION_ALGORITHM,
        ciphertext: aeadEncrypt(
          JSON.stringify(transactionOf(order)),
          merchant.apiv3_key,
          nonce,
          associated_data,
        ),
        associated_data,
        nonce,
      },
    };
    const notification: SimNotification = {
      id: envelope.id,
      out_trade_no: order.out_trade_no,
      notify_url: order.notify_url,
      body: JSON.stringify(envelope),
      state: 'pending',
      attempts: [],
      next_at_ms: now_ms,
    };
    this.notifications.set(notification.id, notification);
    return notification;
  }

  forOrder(out_trade_no: string): SimNotification[] {
    const out: SimNotification[] = [];
    for (const n of this.notifications.values()) if (n.out_trade_no === out_trade_no) out.push(n);
    return out;
  }

  /** Sends every notification due at the clock's now (up to a batch), and waits for the answers. */
  async deliverDue(): Promise<DeliveryReport> {
    const now_ms = this.clock.now_ms();
    const due: SimNotification[] = [];
    for (const n of this.notifications.values()) {
      if (due.length >= DELIVERY_BATCH_MAX) break;
      if (
        n.state === 'pending' &&
        n.next_at_ms !== null &&
        n.next_at_ms <= now_ms &&
        !this.in_flight.has(n.id)
      ) {
        due.push(n);
      }
    }
    const report: DeliveryReport = { attempted: 0, delivered: 0, failed: 0, given_up: 0 };
    for (let i = 0; i < due.length; i += DELIVERY_PARALLEL_MAX) {
      const slice = due.slice(i, i + DELIVERY_PARALLEL_MAX);
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

  private async attempt(n: SimNotification): Promise<NotificationState> {
    this.in_flight.add(n.id);
    const started_ms = this.clock.now_ms();
    let result: string;
    let acknowledged = false;
    try {
      // Signed afresh each time: a retry hours later must still pass the 300-second check.
      const headers = await this.signer.headersFor(n.body);
      const response = await httpRequest({
        method: 'POST',
        url: n.notify_url,
        headers: { ...headers, 'content-type': 'application/json', 'user-agent': 'Mozilla/4.0' },
        body: n.body,
        timeout_ms: NOTIFY_TIMEOUT_MS,
        body_limit_bytes: REPLY_BODY_LIMIT_BYTES,
      });
      acknowledged = response.status === 200 || response.status === 204;
      result = `HTTP ${response.status}`;
    } catch (error) {
      result = error instanceof HttpClientError ? error.kind : 'error';
    } finally {
      this.in_flight.delete(n.id);
    }
    n.attempts.push({ at_ms: started_ms, result });
    if (acknowledged) {
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
      if (n.state !== 'pending') {
        this.notifications.delete(id);
        return;
      }
    }
    throw new NotificationQueueFull(`${NOTIFICATIONS_MAX} notifications are still pending`);
  }
}
