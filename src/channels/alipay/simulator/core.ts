import type { Clock } from '../../../domain/clock.ts';
import type { Random } from '../../../domain/random.ts';
import { FaultPlan } from '../../simulator-kit/faults.ts';
import { type NotificationProgress, progressOf } from '../../simulator-kit/notifier.ts';
import { OneTimeCodes } from '../../simulator-kit/one-time-codes.ts';
import { notifySignContent, signRsa2 } from '../crypto.ts';
import { formEncode } from '../request.ts';
import { toBeijingDate, toBeijingDateTime } from '../time.ts';
import { amountOfFen } from '../wire.ts';
import type { AlipayIdentity } from './alipay-key.ts';
import { AppBook, checkSimApp, type SimApp } from './apps.ts';
import { BillStore } from './bill-file.ts';
import { type DeliveryReport, type NotificationState, Notifier } from './notifier.ts';
import { OrderBook, type SimOrder } from './orders.ts';

/**
 * The state of one simulated Alipay and what happens to it off the API: a payer paying, a payer
 * confirming a payment-code charge on the phone (user_paying), time passing (expiry, and
 * notifications delivered). The HTTP routes are thin layers over this.
 */

export interface SimNotificationView extends NotificationProgress<NotificationState> {
  notify_id: string;
}

/** What GET /sim/orders/:out_trade_no shows. */
export interface SimOrderView {
  out_trade_no: string;
  trade_no: string;
  app_id: string;
  auth_app_id: string;
  seller_id: string;
  product: string;
  trade_status: string;
  total_amount: string;
  subject: string;
  notify_url: string | null;
  buyer_id: string;
  gmt_payment: string | null;
  refunded_amount: string;
  refunds: { out_request_no: string; refund_amount: string }[];
  notifications: SimNotificationView[];
}

export type PayResult =
  | { ok: true; order: SimOrderView }
  | { ok: false; code: 'ORDER_NOT_EXIST' | 'TRADE_CLOSED' | 'NOTIFICATION_QUEUE_FULL'; message: string };

/** How long a user authorisation auth_code can be exchanged. */
export const AUTH_CODE_TTL_MS = 5 * 60_000;

/** Confirmations (user_paying) waiting at once; each is bounded by the order cap anyway. */
const PENDING_RESOLUTIONS_MAX = 10_000;

function digits(random: Random, count: number): string {
  return [...random.bytes(count)].map((b) => String(b % 10)).join('');
}

export class SimCore {
  readonly apps = new AppBook();
  readonly orders = new OrderBook();
  readonly notifier: Notifier;
  readonly faults: FaultPlan;
  readonly bills: BillStore;
  private readonly pending_resolution = new Set<string>();
  /** User authorisation codes (auth_code): one-time, bound to the app that asked. */
  readonly auth_codes: OneTimeCodes<{ app_id: string; payer: string; scope: string }>;

  constructor(
    readonly clock: Clock,
    readonly random: Random,
    readonly identity: AlipayIdentity,
  ) {
    this.notifier = new Notifier(clock);
    this.faults = new FaultPlan(random);
    this.bills = new BillStore(clock, random);
    this.auth_codes = new OneTimeCodes(clock, random, AUTH_CODE_TTL_MS, 32);
  }

  registerApp(value: unknown): SimApp {
    return this.apps.register(checkSimApp(value, `2088${digits(this.random, 12)}`));
  }

  /** 28 digits like Alipay's: the Beijing date, `22001`, 15 random digits. */
  newTradeNo(): string {
    return `${toBeijingDate(this.clock.now_ms()).replaceAll('-', '')}22001${digits(this.random, 15)}`;
  }

  newBuyerId(): string {
    return `2088${digits(this.random, 12)}`;
  }

  /** Applies what time has done to an order: a confirmation that ended, an expiry that passed. */
  async refresh(order: SimOrder): Promise<void> {
    const now_ms = this.clock.now_ms();
    if (order.status !== 'WAIT_BUYER_PAY') return;
    if (order.resolution && order.resolution.at_ms <= now_ms) {
      const to = order.resolution.to;
      this.cancelConfirmation(order);
      if (to === 'success') await this.markPaid(order);
      else order.status = 'TRADE_CLOSED';
      return;
    }
    if (!order.resolution && order.expire_at_ms !== undefined && now_ms >= order.expire_at_ms) {
      order.status = 'TRADE_CLOSED';
    }
  }

  /** Starts a payer's confirmation (trade.pay answered 10003). */
  awaitConfirmation(order: SimOrder, after_ms: number, to: 'success' | 'failure'): void {
    if (this.pending_resolution.size >= PENDING_RESOLUTIONS_MAX) to = 'failure';
    order.resolution = { at_ms: this.clock.now_ms() + after_ms, to };
    this.pending_resolution.add(order.out_trade_no);
  }

  cancelConfirmation(order: SimOrder): void {
    delete order.resolution;
    this.pending_resolution.delete(order.out_trade_no);
  }

  /** Confirmations whose time has come, then the due notifications. */
  async deliverDueNotifications(): Promise<DeliveryReport> {
    for (const out_trade_no of [...this.pending_resolution]) {
      const order = this.orders.get(out_trade_no);
      if (order) await this.refresh(order);
      else this.pending_resolution.delete(out_trade_no);
    }
    return this.notifier.deliverDue();
  }

  /** The payer pays an open order (scan, cashier page, app): TRADE_SUCCESS, then the notification. */
  async pay(out_trade_no: string): Promise<PayResult> {
    const order = this.orders.get(out_trade_no);
    if (!order) return { ok: false, code: 'ORDER_NOT_EXIST', message: 'no order with this out_trade_no' };
    await this.refresh(order);
    if (order.status === 'TRADE_SUCCESS' || order.status === 'TRADE_FINISHED')
      return { ok: true, order: this.view(order) };
    if (order.status === 'TRADE_CLOSED')
      return { ok: false, code: 'TRADE_CLOSED', message: 'the trade is closed' };
    if (!this.notifier.hasRoom())
      return { ok: false, code: 'NOTIFICATION_QUEUE_FULL', message: 'too many notifications pending' };
    this.cancelConfirmation(order);
    await this.markPaid(order);
    return { ok: true, order: this.view(order) };
  }

  /** TRADE_SUCCESS now, and the trade_status_sync notification queued (unless faults say otherwise). */
  async markPaid(order: SimOrder): Promise<void> {
    order.status = 'TRADE_SUCCESS';
    order.paid_at_ms = this.clock.now_ms();
    const app = this.apps.get(order.app_id);
    if (order.notify_url === undefined || app?.notify === 'off' || !this.notifier.hasRoom()) return;
    const faults = this.faults.take('notify', order.out_trade_no);
    if (faults.some((f) => f.kind === 'drop_notification')) return;
    const form = await this.notificationForm(order);
    const delay = faults.find((f) => f.kind === 'delay_notification');
    const duplicate = faults.find((f) => f.kind === 'duplicate_notification');
    this.notifier.enqueue(form.notify_id!, order.out_trade_no, order.notify_url, formEncode(form), {
      ...(delay ? { delay_ms: delay.latency_ms ?? 60_000 } : {}),
      ...(duplicate ? { copies: duplicate.copies ?? 2 } : {}),
      withhold: faults.some((f) => f.kind === 'withhold_notification'),
    });
  }

  /** The notification form of a paid order, signed (sign and sign_type left out of the signed text). */
  async notificationForm(order: SimOrder): Promise<Record<string, string>> {
    const now_ms = this.clock.now_ms();
    const amount = amountOfFen(order.total_fen);
    const form: Record<string, string> = {
      gmt_create: toBeijingDateTime(order.created_at_ms),
      charset: 'utf-8',
      subject: order.subject,
      buyer_id: order.buyer_id,
      invoice_amount: amount,
      notify_id: `${toBeijingDate(now_ms).replaceAll('-', '')}00222${digits(this.random, 21)}`,
      fund_bill_list: JSON.stringify([{ amount, fundChannel: 'ALIPAYACCOUNT' }]),
      notify_type: 'trade_status_sync',
      trade_status: order.status,
      receipt_amount: amount,
      app_id: order.app_id,
      buyer_pay_amount: amount,
      seller_id: order.seller_id,
      gmt_payment: toBeijingDateTime(order.paid_at_ms ?? now_ms),
      notify_time: toBeijingDateTime(now_ms),
      version: '1.0',
      out_trade_no: order.out_trade_no,
      total_amount: amount,
      trade_no: order.trade_no,
      auth_app_id: order.merchant_app_id,
      buyer_logon_id: order.buyer_logon_id,
      point_amount: '0.00',
    };
    form.sign = await signRsa2(notifySignContent(form, 'trade'), this.identity.private_key_pem);
    form.sign_type = 'RSA2';
    return form;
  }

  view(order: SimOrder): SimOrderView {
    return {
      out_trade_no: order.out_trade_no,
      trade_no: order.trade_no,
      app_id: order.app_id,
      auth_app_id: order.merchant_app_id,
      seller_id: order.seller_id,
      product: order.product,
      trade_status: order.status,
      total_amount: amountOfFen(order.total_fen),
      subject: order.subject,
      notify_url: order.notify_url ?? null,
      buyer_id: order.buyer_id,
      gmt_payment: order.paid_at_ms === undefined ? null : toBeijingDateTime(order.paid_at_ms),
      refunded_amount: order.refunded_fen === 0 ? '0.00' : amountOfFen(order.refunded_fen),
      refunds: [...order.refunds.values()].map((r) => ({
        out_request_no: r.out_request_no,
        refund_amount: amountOfFen(r.amount_fen),
      })),
      notifications: this.notifier.forOrder(order.out_trade_no).map((n) => ({
        notify_id: n.notify_id,
        ...progressOf(n),
      })),
    };
  }
}
