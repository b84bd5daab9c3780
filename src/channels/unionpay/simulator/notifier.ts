import type { Clock } from '../../../domain/clock.ts';
import type { FaultPlan } from '../../simulator-kit/faults.ts';
import {
  type AttemptRecord,
  type DeliveryReport,
  NotificationQueue,
  postNotification,
  type QueuedState,
  type SendOutcome,
} from '../../simulator-kit/notifier.ts';
import { NOTIFY_ACK_STATUS, NOTIFY_RETRY_DELAYS_MS, NOTIFY_TIMEOUT_MS } from '../constants.ts';
import { type AcpFields, encodeForm, FORM_CONTENT_TYPE } from '../form.ts';
import type { SimSigner } from './signer.ts';

export type { AttemptRecord, DeliveryReport };

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
const DUPLICATE_COPIES_DEFAULT = 2;

export type NotificationState = QueuedState;

export interface SimNotification {
  id: string;
  order_id: string;
  back_url: string;
  body: string;
  state: NotificationState;
  attempts: AttemptRecord[];
  next_at_ms: number | null;
}

export class Notifier extends NotificationQueue<SimNotification> {
  private seq = 0;

  constructor(
    private readonly clock: Clock,
    private readonly faults: FaultPlan,
    private readonly signer: SimSigner,
  ) {
    super({
      clock,
      retry_delays_ms: NOTIFY_RETRY_DELAYS_MS,
      keyOf: (n) => n.id,
      send: (n) => this.send(n),
    });
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
      const n: SimNotification = {
        id: `ntf${++this.seq}`,
        order_id,
        back_url,
        body,
        state,
        attempts: [],
        next_at_ms: state === 'pending' ? now_ms + delay_ms : null,
      };
      this.add(n);
    }
  }

  /** Lets withheld notifications go (of one order, or all); they are due at once. */
  release(order_id?: string): number {
    return this.releaseWhere((n) => order_id === undefined || n.order_id === order_id);
  }

  forOrder(order_id: string): SimNotification[] {
    return this.where((n) => n.order_id === order_id);
  }

  /** One attempt: only HTTP 200 acknowledges it. */
  private async send(n: SimNotification): Promise<SendOutcome> {
    const response = await postNotification(
      n.back_url,
      { 'content-type': FORM_CONTENT_TYPE },
      n.body,
      NOTIFY_TIMEOUT_MS,
    );
    return { acknowledged: response.status === NOTIFY_ACK_STATUS, result: `HTTP ${response.status}` };
  }
}
