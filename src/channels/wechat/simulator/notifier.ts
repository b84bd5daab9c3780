import type { Clock } from '../../../domain/clock.ts';
import { alphanumericNonce, type Random } from '../../../domain/random.ts';
import {
  type AttemptRecord,
  type DeliveryReport,
  NotificationQueue,
  postNotification,
  type QueuedState,
  type SendOutcome,
} from '../../simulator-kit/notifier.ts';
import { aeadEncrypt } from '../crypto.ts';
import { toRfc3339Beijing } from '../time.ts';
import { EVENT_TRANSACTION_SUCCESS, NOTIFICATION_ALGORITHM, type NotificationEnvelope } from '../wire.ts';
import type { SimMerchant } from './merchants.ts';
import { type SimOrder, transactionOf } from './orders.ts';
import { refundNoticeOf, type SimRefund } from './refunds.ts';
import type { PlatformSigner, SigningKey } from './signer.ts';

export type { AttemptRecord, DeliveryReport };

/**
 * The simulated WeChat Pay's notification sender (protocols.md §1.6, §6): one TRANSACTION.SUCCESS
 * per paid order and one REFUND.* per settled refund, the resource sealed with the merchant's
 * APIv3 key, POSTed to the notify_url. A 200 or 204 ends it; anything else (other status, timeout, refused connection) is
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
/**
 * `dropped` and `withheld` are faults: a dropped notification is never sent; a withheld one waits
 * for the control API to release it.
 */
export type NotificationState = QueuedState;

/** What the fault plan says about one notification (see simulator-kit/faults.ts). */
export interface NotifyPlan {
  drop?: boolean;
  /** Send this many identical notifications (same id, same body). */
  copies?: number;
  /** First attempt this late (injected clock). */
  delay_ms?: number;
  withhold?: boolean;
  /** Held this long, then sent with the others held, newest first. */
  reorder_ms?: number;
}

const COPIES_MAX = 100;
const REORDER_HOLD_MS_DEFAULT = 1_000;

export interface SimNotification {
  id: string;
  /** Our key in the queue: copies of one notification share `id`. */
  key: string;
  /** Order of creation, for reordering. */
  seq: number;
  /** Whose signing key signs it. */
  mchid: string;
  event_type: string;
  out_trade_no: string;
  out_refund_no?: string;
  reorder: boolean;
  notify_url: string;
  /** The envelope JSON, identical on every attempt (only the signature headers are fresh). */
  body: string;
  state: NotificationState;
  attempts: AttemptRecord[];
  /** When the next attempt is due; null once delivered or given up. */
  next_at_ms: number | null;
}

function uuidFrom(random: Random): string {
  const hex = random.bytes(16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export class Notifier extends NotificationQueue<SimNotification> {
  private seq = 0;

  constructor(
    private readonly clock: Clock,
    private readonly random: Random,
    private readonly signer: PlatformSigner,
    private readonly keyFor: (mchid: string) => Promise<SigningKey>,
  ) {
    super({
      clock,
      retry_delays_ms: NOTIFY_RETRY_DELAYS_MS,
      keyOf: (n) => n.key,
      send: (n) => this.send(n),
    });
  }

  /** Queues the TRANSACTION.SUCCESS notification of a paid order, due now unless a fault says otherwise. */
  enqueuePaid(order: SimOrder, merchant: SimMerchant, plan: NotifyPlan = {}): SimNotification[] {
    return this.enqueue(
      { event_type: EVENT_TRANSACTION_SUCCESS, summary: '支付成功', original_type: 'transaction' },
      JSON.stringify(transactionOf(order)),
      { out_trade_no: order.out_trade_no, notify_url: order.notify_url, mchid: order.mchid },
      merchant,
      plan,
    );
  }

  /** Queues the REFUND.SUCCESS / ABNORMAL / CLOSED notification of a settled refund. */
  enqueueRefund(refund: SimRefund, merchant: SimMerchant, plan: NotifyPlan = {}): SimNotification[] {
    if (refund.notify_url === undefined) return [];
    const summary =
      refund.status === 'SUCCESS' ? '退款成功' : refund.status === 'CLOSED' ? '退款关闭' : '退款异常';
    return this.enqueue(
      { event_type: `REFUND.${refund.status}`, summary, original_type: 'refund' },
      JSON.stringify(refundNoticeOf(refund)),
      {
        out_trade_no: refund.out_trade_no,
        out_refund_no: refund.out_refund_no,
        notify_url: refund.notify_url,
        mchid: refund.mchid,
      },
      merchant,
      plan,
    );
  }

  private enqueue(
    event: { event_type: string; summary: string; original_type: string },
    plaintext: string,
    target: { out_trade_no: string; out_refund_no?: string; notify_url: string; mchid: string },
    merchant: SimMerchant,
    plan: NotifyPlan,
  ): SimNotification[] {
    const now_ms = this.clock.now_ms();
    const associated_data = event.original_type;
    const nonce = alphanumericNonce(this.random, 12);
    const envelope: NotificationEnvelope = {
      id: uuidFrom(this.random),
      create_time: toRfc3339Beijing(now_ms),
      resource_type: 'encrypt-resource',
      event_type: event.event_type,
      summary: event.summary,
      resource: {
        original_type: event.original_type,
        algorithm: NOTIFICATION_ALGORITHM,
        ciphertext: aeadEncrypt(plaintext, merchant.apiv3_key, nonce, associated_data),
        associated_data,
        nonce,
      },
    };
    const copies = Math.min(Math.max(plan.copies ?? 1, 1), COPIES_MAX);
    const state: NotificationState = plan.drop ? 'dropped' : plan.withhold ? 'withheld' : 'pending';
    const hold_ms = plan.reorder_ms !== undefined ? plan.reorder_ms || REORDER_HOLD_MS_DEFAULT : 0;
    const created: SimNotification[] = [];
    for (let copy = 0; copy < copies; copy++) {
      const notification: SimNotification = {
        id: envelope.id,
        key: `${envelope.id}#${copy}`,
        seq: this.seq++,
        mchid: target.mchid,
        event_type: event.event_type,
        out_trade_no: target.out_trade_no,
        ...(target.out_refund_no !== undefined ? { out_refund_no: target.out_refund_no } : {}),
        reorder: plan.reorder_ms !== undefined,
        notify_url: target.notify_url,
        body: JSON.stringify(envelope),
        state,
        attempts: [],
        next_at_ms: state === 'pending' ? now_ms + (plan.delay_ms ?? 0) + hold_ms : null,
      };
      this.add(notification);
      created.push(notification);
    }
    return created;
  }

  /** Releases withheld notifications (of one order, or all); they are due now. Returns how many. */
  release(out_trade_no?: string): number {
    return this.releaseWhere((n) => out_trade_no === undefined || n.out_trade_no === out_trade_no);
  }

  forOrder(out_trade_no: string): SimNotification[] {
    return this.where((n) => n.out_trade_no === out_trade_no);
  }

  /** One attempt: a 200 or 204 acknowledges it. */
  private async send(n: SimNotification): Promise<SendOutcome> {
    // Signed afresh each time: a retry hours later must still pass the 300-second check.
    const headers = await this.signer.headersFor(n.body, await this.keyFor(n.mchid));
    const response = await postNotification(
      n.notify_url,
      { ...headers, 'content-type': 'application/json', 'user-agent': 'Mozilla/4.0' },
      n.body,
      NOTIFY_TIMEOUT_MS,
    );
    return {
      acknowledged: response.status === 200 || response.status === 204,
      result: `HTTP ${response.status}`,
    };
  }
}
