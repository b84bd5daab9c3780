import type { Clock } from '../../../domain/clock.ts';
import { alphanumericNonce, type Random } from '../../../domain/random.ts';
import { FaultPlan, type FaultRule } from '../../simulator-kit/faults.ts';
import { type NotificationProgress, progressOf } from '../../simulator-kit/notifier.ts';
import { toRfc3339Beijing } from '../time.ts';
import { MerchantBook, type SimMerchant } from './merchants.ts';
import { type DeliveryReport, type NotificationState, Notifier, type NotifyPlan } from './notifier.ts';
import { isPaid, OrderBook, type SimOrder, type SimTradeState } from './orders.ts';
import type { PlatformCertAuthority } from './platform-certs.ts';
import type { PlatformKeyPair } from './platform-key.ts';
import { RefundBook, type SimRefund, type SimRefundStatus } from './refunds.ts';
import { PlatformSigner, type SigningKey } from './signer.ts';

/**
 * The state of one simulated WeChat Pay and the things that happen to it outside the API: a payer
 * paying (which queues the notification), a payer confirming a payment code, refunds settling, and
 * time passing (which delivers notifications). The HTTP routes are thin layers over this.
 */

export interface SimNotificationView extends NotificationProgress<NotificationState> {
  id: string;
  event_type: string;
}

/** What GET /sim/orders/:out_trade_no shows (tests and the CLI read it). */
export interface SimOrderView {
  out_trade_no: string;
  mchid: string;
  appid: string;
  sub_mchid: string | null;
  sub_appid: string | null;
  trade_type: string;
  trade_state: SimTradeState;
  amount_total: number;
  refunded_fen: number;
  description: string;
  code_url: string;
  prepay_id: string | null;
  h5_url: string | null;
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

/** How long a refund stays PROCESSING before it succeeds, on the injected clock. */
export const REFUND_SETTLE_MS = 5_000;
/** Work done by one resolveDue(): USERPAYING orders and refunds settled. */
const RESOLVE_BATCH_MAX = 1_000;

export class SimCore {
  readonly merchants = new MerchantBook();
  readonly orders = new OrderBook();
  readonly refunds = new RefundBook();
  readonly signer: PlatformSigner;
  readonly notifier: Notifier;
  readonly faults: FaultPlan;
  /** Orders waiting for a payer's confirmation, and refunds waiting to settle (bounded by the books). */
  private readonly user_paying = new Set<string>();
  private readonly processing_refunds = new Set<string>();
  /** How a latency fault waits (real time by default; tests may inject another). */
  delay: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  constructor(
    readonly clock: Clock,
    readonly random: Random,
    readonly key: PlatformKeyPair,
    readonly certificates: PlatformCertAuthority,
  ) {
    this.signer = new PlatformSigner(key, clock, random);
    this.notifier = new Notifier(clock, random, this.signer, (mchid) => this.notificationKeyFor(mchid));
    this.faults = new FaultPlan(random);
  }

  /** The key that signs API replies for this merchant. */
  async replyKeyFor(merchant: SimMerchant | undefined): Promise<SigningKey> {
    if (merchant?.key_mode !== 'certificate') return this.signer.publicKey;
    const cert = await this.certificates.current();
    return { id: cert.serial_no, private_key_pem: cert.private_key_pem };
  }

  private notificationKeyFor(mchid: string): Promise<SigningKey> {
    return this.replyKeyFor(this.merchants.get(mchid));
  }

  newCodeUrl(): string {
    return `weixin://wxpay/bizpayurl?pr=${alphanumericNonce(this.random, 9)}`;
  }

  newPrepayId(): string {
    return `wx${toRfc3339Beijing(this.clock.now_ms()).slice(0, 19).replace(/[-T:]/g, '')}${this.random.bytes(12).toString('hex')}`;
  }

  /** 28 digits like WeChat's: `4200`, the Beijing date, 16 random digits. */
  private newTransactionId(now_ms: number): string {
    const date = toRfc3339Beijing(now_ms).slice(0, 10).replaceAll('-', '');
    const digits = [...this.random.bytes(16)].map((b) => String(b % 10)).join('');
    return `4200${date}${digits}`;
  }

  /** 29 digits like WeChat's refund ids: `5030`, the Beijing date, 17 random digits. */
  newRefundId(): string {
    const date = toRfc3339Beijing(this.clock.now_ms()).slice(0, 10).replaceAll('-', '');
    const digits = [...this.random.bytes(17)].map((b) => String(b % 10)).join('');
    return `5030${date}${digits}`;
  }

  /** The notification faults for one order, consumed from the plan. */
  notifyPlanFor(out_trade_no: string): NotifyPlan {
    const plan: NotifyPlan = {};
    for (const rule of this.faults.take('notify', out_trade_no)) applyNotifyFault(plan, rule);
    return plan;
  }

  private settlePaid(order: SimOrder, openid?: string): void {
    const now_ms = this.clock.now_ms();
    this.orders.markPaid(
      order,
      this.newTransactionId(now_ms),
      now_ms,
      toRfc3339Beijing(now_ms),
      openid ?? `o${alphanumericNonce(this.random, 27)}`,
    );
  }

  /** A payment code is confirmed: USERPAYING until `resolve_after_ms`, then success or failure. */
  startUserPaying(order: SimOrder, rule: FaultRule): void {
    order.trade_state = 'USERPAYING';
    order.user_paying = {
      resolve_at_ms: this.clock.now_ms() + (rule.resolve_after_ms ?? 10_000),
      resolves_to: rule.resolves_to ?? 'success',
    };
    this.user_paying.add(order.out_trade_no);
  }

  /** A payment code paid at once. */
  payNow(order: SimOrder): void {
    this.settlePaid(order);
  }

  /** Settles one order whose USERPAYING time is up (called before any read of it). */
  resolveOrder(order: SimOrder): void {
    if (order.trade_state !== 'USERPAYING' || !order.user_paying) return;
    if (this.clock.now_ms() < order.user_paying.resolve_at_ms) return;
    this.user_paying.delete(order.out_trade_no);
    if (order.user_paying.resolves_to === 'success') this.settlePaid(order);
    else {
      order.trade_state = 'PAYERROR';
      delete order.user_paying;
    }
  }

  /** Reverse (撤销): an unpaid order is closed, a paid one refunded in full; both become REVOKED. */
  reverse(order: SimOrder): void {
    this.user_paying.delete(order.out_trade_no);
    delete order.user_paying;
    order.trade_state = 'REVOKED';
  }

  /** The payer scans and pays: SUCCESS, then the notification is queued (due now unless a fault delays it). */
  pay(out_trade_no: string, openid?: string): PayResult {
    const order = this.orders.get(out_trade_no);
    if (!order) return { ok: false, code: 'ORDER_NOT_EXIST', message: 'no order with this out_trade_no' };
    this.resolveOrder(order);
    if (isPaid(order)) return { ok: true, order: this.view(order) };
    if (order.trade_state !== 'NOTPAY' && order.trade_state !== 'USERPAYING')
      return { ok: false, code: 'ORDER_CLOSED', message: `the order is ${order.trade_state}` };
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
    this.user_paying.delete(order.out_trade_no);
    this.settlePaid(order, openid);
    if (order.notify_url !== '')
      this.notifier.enqueuePaid(order, merchant, this.notifyPlanFor(order.out_trade_no));
    return { ok: true, order: this.view(order) };
  }

  /** The payer gives up confirming a payment code: PAYERROR. */
  failUserPaying(out_trade_no: string): boolean {
    const order = this.orders.get(out_trade_no);
    if (order?.trade_state !== 'USERPAYING') return false;
    this.user_paying.delete(out_trade_no);
    delete order.user_paying;
    order.trade_state = 'PAYERROR';
    return true;
  }

  // -------------------------------------------------------------------------------------------
  // Refunds

  addRefund(refund: SimRefund, order: SimOrder): void {
    this.refunds.add(refund);
    order.refunded_fen += refund.amount_refund;
    this.processing_refunds.add(refund.out_refund_no);
  }

  /** Settles a refund: SUCCESS turns the order into REFUND; CLOSED/ABNORMAL give the amount back. */
  settleRefund(refund: SimRefund, status: Exclude<SimRefundStatus, 'PROCESSING'>): boolean {
    if (refund.status !== 'PROCESSING') return false;
    this.processing_refunds.delete(refund.out_refund_no);
    const order = this.orders.get(refund.out_trade_no);
    const now_ms = this.clock.now_ms();
    refund.status = status;
    if (status === 'SUCCESS') {
      refund.success_time = toRfc3339Beijing(now_ms);
      refund.success_at_ms = now_ms;
      if (order && order.trade_state === 'SUCCESS') order.trade_state = 'REFUND';
    } else if (order) {
      order.refunded_fen -= refund.amount_refund;
    }
    const merchant = this.merchants.get(refund.mchid);
    if (merchant && this.notifier.hasRoom())
      this.notifier.enqueueRefund(refund, merchant, this.notifyPlanFor(refund.out_trade_no));
    return true;
  }

  /** Refunds whose time has come succeed (called before any read of one). */
  resolveRefund(refund: SimRefund): void {
    if (refund.status === 'PROCESSING' && this.clock.now_ms() >= refund.settle_at_ms)
      this.settleRefund(refund, 'SUCCESS');
  }

  /** Everything whose time has come on the injected clock: payment codes and refunds. */
  resolveDue(): void {
    let budget = RESOLVE_BATCH_MAX;
    for (const out_trade_no of [...this.user_paying]) {
      if (budget-- <= 0) return;
      const order = this.orders.get(out_trade_no);
      if (order) this.resolveOrder(order);
      else this.user_paying.delete(out_trade_no);
    }
    for (const out_refund_no of [...this.processing_refunds]) {
      if (budget-- <= 0) return;
      const refund = this.refunds.get(out_refund_no);
      if (refund) this.resolveRefund(refund);
      else this.processing_refunds.delete(out_refund_no);
    }
  }

  deliverDueNotifications(): Promise<DeliveryReport> {
    this.resolveDue();
    return this.notifier.deliverDue();
  }

  view(order: SimOrder): SimOrderView {
    return {
      out_trade_no: order.out_trade_no,
      mchid: order.mchid,
      appid: order.appid,
      sub_mchid: order.sub_mchid ?? null,
      sub_appid: order.sub_appid ?? null,
      trade_type: order.trade_type,
      trade_state: order.trade_state,
      amount_total: order.amount_total,
      refunded_fen: order.refunded_fen,
      description: order.description,
      code_url: order.code_url,
      prepay_id: order.prepay_id ?? null,
      h5_url: order.h5_url ?? null,
      notify_url: order.notify_url,
      time_expire: order.time_expire ?? null,
      transaction_id: order.transaction_id ?? null,
      success_time: order.success_time ?? null,
      notifications: this.notifier.forOrder(order.out_trade_no).map((n) => ({
        id: n.id,
        event_type: n.event_type,
        ...progressOf(n),
      })),
    };
  }
}

function applyNotifyFault(plan: NotifyPlan, rule: FaultRule): void {
  switch (rule.kind) {
    case 'drop_notification':
      plan.drop = true;
      break;
    case 'duplicate_notification':
      plan.copies = rule.copies ?? 2;
      break;
    case 'delay_notification':
      plan.delay_ms = rule.latency_ms ?? 0;
      break;
    case 'withhold_notification':
      plan.withhold = true;
      break;
    case 'reorder_notifications':
      plan.reorder_ms = rule.latency_ms ?? 0;
      break;
    default:
      // Other kinds (latency, errors, bill faults) do not concern notifications.
      break;
  }
}
