import type { Clock } from '../../../domain/clock.ts';
import { alphanumericNonce, type Random } from '../../../domain/random.ts';
import { toRfc3339Beijing } from '../time.ts';
import { MerchantBook } from './merchants.ts';
import { type DeliveryReport, type NotificationState, Notifier } from './notifier.ts';
import { OrderBook, type SimOrder, type SimTradeState } from './orders.ts';
import type { PlatformKeyPair } from './platform-key.ts';
import { PlatformSigner } from './signer.ts';

/**
 * The state of one simulated WeChat Pay and the things that happen to it outside the API: a payer
 * paying (which queues the notification) and time passing (which delivers notifications). The
 * HTTP routes (v3-routes.ts, control-routes.ts) are thin layers over this.
 */

export interface SimNotificationView {
  id: string;
  state: NotificationState;
  attempts: number;
  next_at_ms: number | null;
  last_result: string | null;
}

/** What GET /sim/orders/:out_trade_no shows (tests and the CLI read it). */
export interface SimOrderView {
  out_trade_no: string;
  mchid: string;
  appid: string;
  trade_state: SimTradeState;
  amount_total: number;
  description: string;
  code_url: string;
  notify_url: string;
  time_expire: string | null;
  transaction_id: string | null;
  success_time: string | null;
  notifications: SimNotificationView[];
}

export type PayResult =
  | { ok: true; order: SimOrderView }
  | {
      ok: false;
      code: 'ORDER_NOT_EXIST' | 'ORDER_CLOSED' | 'ORDER_EXPIRED' | 'NOTIFICATION_QUEUE_FULL';
      message: string;
    };

export class SimCore {
  readonly merchants = new MerchantBook();
  readonly orders = new OrderBook();
  readonly signer: PlatformSigner;
  readonly notifier: Notifier;

  constructor(
    readonly clock: Clock,
    readonly random: Random,
    readonly key: PlatformKeyPair,
  ) {
    this.signer = new PlatformSigner(key, clock, random);
    this.notifier = new Notifier(clock, random, this.signer);
  }

  newCodeUrl(): string {
    return `weixin://wxpay/bizpayurl?pr=${alphanumericNonce(this.random, 9)}`;
  }

  /** 28 digits like WeChat's: `4200`, the Beijing date, 16 random digits. */
  private newTransactionId(now_ms: number): string {
    const date = toRfc3339Beijing(now_ms).slice(0, 10).replaceAll('-', '');
    const digits = [...this.random.bytes(16)].map((b) => String(b % 10)).join('');
    return `4200${date}${digits}`;
  }

  /** The payer scans and pays: SUCCESS, then the notification is queued, due now. */
  pay(out_trade_no: string): PayResult {
    const order = this.orders.get(out_trade_no);
    if (!order) return { ok: false, code: 'ORDER_NOT_EXIST', message: 'no order with this out_trade_no' };
    if (order.trade_state === 'SUCCESS') return { ok: true, order: this.view(order) };
    if (order.trade_state === 'CLOSED')
      return { ok: false, code: 'ORDER_CLOSED', message: 'the order is closed' };
    const now_ms = this.clock.now_ms();
    if (order.expire_at_ms !== undefined && now_ms >= order.expire_at_ms) {
      return { ok: false, code: 'ORDER_EXPIRED', message: 'the order passed its time_expire' };
    }
    const merchant = this.merchants.get(order.mchid);
    if (!merchant)
      return { ok: false, code: 'ORDER_NOT_EXIST', message: 'the order belongs to no known merchant' };
    // Check before changing state, so a full queue never leaves a paid order without its notification.
    if (!this.notifier.hasRoom()) {
      return { ok: false, code: 'NOTIFICATION_QUEUE_FULL', message: 'too many notifications pending' };
    }
    this.orders.markPaid(
      order,
      this.newTransactionId(now_ms),
      toRfc3339Beijing(now_ms),
      `o${alphanumericNonce(this.random, 27)}`,
    );
    this.notifier.enqueuePaid(order, merchant);
    return { ok: true, order: this.view(order) };
  }

  deliverDueNotifications(): Promise<DeliveryReport> {
    return this.notifier.deliverDue();
  }

  view(order: SimOrder): SimOrderView {
    return {
      out_trade_no: order.out_trade_no,
      mchid: order.mchid,
      appid: order.appid,
      trade_state: order.trade_state,
      amount_total: order.amount_total,
      description: order.description,
      code_url: order.code_url,
      notify_url: order.notify_url,
      time_expire: order.time_expire ?? null,
      transaction_id: order.transaction_id ?? null,
      success_time: order.success_time ?? null,
      notifications: this.notifier.forOrder(order.out_trade_no).map((n) => ({
        id: n.id,
        state: n.state,
        attempts: n.attempts.length,
        next_at_ms: n.next_at_ms,
        last_result: n.attempts.at(-1)?.result ?? null,
      })),
    };
  }
}
