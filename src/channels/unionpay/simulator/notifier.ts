import type { Clock } from '../../../domain/clock.ts';
import { HttpClientError, httpRequest } from '../../http-client.ts';
import type { FaultPlan } from '../../simulator-kit/faults.ts';
import {
  NOTIFY_ACK_STATUS,
  NOTIFY_ATTEMPTS_MAX,
  NOTIFY_RETRY_DELAYS_MS,
  NOTIFY_TIMEOUT_MS,
} from '../constants.ts';
import { type AcpFields, encodeForm, FORM_CONTENT_TYPE } from '../form.ts';
import type { SimSigner } from './signer.ts';

/**
 * The simulated UnionPay's back notifications: a signed form POSTed to the transaction's backUrl,
 * retried on our chosen schedule (constants.ts) until the merchant answers HTTP 200, then given up.
 * ACP signatures carry no timestamp, so the body is signed once and sent identically every time.
 *
 * Faults for operation "notify" (per order or channel-wide) apply when a notification is queued:
 * drop_notification, duplicate_notification (`copies`), delay_notification (`latency_ms`),
 * withhold_notification (held until release()).
 *
 * Time only moves through the injected clock: `deliverDue()` sends what is due at `clock.now_ms()`.
 */
export const NOTIFICATIONS_MAX = 10_000;
const DELIVERY_BATCH_MAX = 256;
const DELIVERY_PARALLEL_MAX = 16;
const REPLY_BODY_LIMIT_BYTES = 64 * 1024;
const DUPLICATE_COPIES_DEFAULT = 2;

export type NotificationState = 'pending' | 'withheld' | 'delivered' | 'given_up' | 'dropped';

export interface AttemptRecord {
  at_ms: number;
  /** `HTTP 200`, `timeout`, `connection_refused`, … */
  result: string;
}

export interface SimNotification {
  id: string;
  order_id: string;
  back_url: string;
  body: string;
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

export class Notifier {
  private readonly notifications = new Map<string, SimNotification>();
  private readonly in_flight = new Set<string>();
  private seq = 0;

  constructor(
    private readonly clock: Clock,
    private readonly faults: FaultPlan,
    private readonly signer: SimSigner,
  ) {}

  hasRoom(): boolean {
    if (this.notifications.size < NOTIFICATIONS_MAX) return true;
    for (const n of this.notifications.values()) if (!this.isOpen(n)) return true;
    return false;
  }

  /** Signs `fields` and queues the notification(s) for `back_url`, as the faults say. */
  async enqueue(order_id: string, back_url: string, fields: AcpFields): Promise<void> {
    const body = encodeForm(await this.signer.sign(fields));
    const rules = this.faults.take('notify', order_id);
    const kinds = new Set(rules.map((r) => r.kind));
    const now_ms = this.clock.now_ms();
    const copies = kinds.has('duplicate_notification')
      ? Math.max(
          1,
          rules.find((r) => r.kind === 'duplicate_notification')?.copies ?? DUPLICATE_COPIES_DEFAULT,
        )
      : 1;
    const delay_ms = rules.find((r) => r.kind === 'delay_notification')?.latency_ms ?? 0;
    const state: NotificationState = kinds.has('drop_notification')
      ? 'dropped'
      : kinds.has('withhold_notification')
        ? 'withheld'
        : 'pending';
    for (let i = 0; i < copies; i++) {
      this.makeRoom();
      const n: SimNotification = {
        id: `ntf${++this.seq}`,
        order_id,
        back_url,
        body,
        state,
        attempts: [],
        next_at_ms: state === 'pending' ? now_ms + delay_ms : null,
      };
      this.notifications.set(n.id, n);
    }
  }

  /** Lets withheld notifications go (of one order, or all); they are due at once. */
  release(order_id?: string): number {
    let released = 0;
    for (const n of this.notifications.values()) {
      if (n.state !== 'withheld' || (order_id !== undefined && n.order_id !== order_id)) continue;
      n.state = 'pending';
      n.next_at_ms = this.clock.now_ms();
      released++;
    }
    return released;
  }

  forOrder(order_id: string): SimNotification[] {
    return [...this.notifications.values()].filter((n) => n.order_id === order_id);
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
        !this.in_flight.has(n.id)
      )
        due.push(n);
    }
    const report: DeliveryReport = { attempted: 0, delivered: 0, failed: 0, given_up: 0 };
    for (let i = 0; i < due.length; i += DELIVERY_PARALLEL_MAX) {
      const states = await Promise.all(due.slice(i, i + DELIVERY_PARALLEL_MAX).map((n) => this.attempt(n)));
      for (const state of states) {
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
      const response = await httpRequest({
        method: 'POST',
        url: n.back_url,
        headers: { 'content-type': FORM_CONTENT_TYPE },
        body: n.body,
        timeout_ms: NOTIFY_TIMEOUT_MS,
        body_limit_bytes: REPLY_BODY_LIMIT_BYTES,
      });
      acknowledged = response.status === NOTIFY_ACK_STATUS;
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

  private isOpen(n: SimNotification): boolean {
    return n.state === 'pending' || n.state === 'withheld';
  }

  private makeRoom(): void {
    if (this.notifications.size < NOTIFICATIONS_MAX) return;
    for (const [id, n] of this.notifications) {
      if (!this.isOpen(n)) {
        this.notifications.delete(id);
        return;
      }
    }
    throw new Error(`${NOTIFICATIONS_MAX} notifications are still pending`);
  }
}
