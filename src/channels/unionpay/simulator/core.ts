import type { Clock } from '../../../domain/clock.ts';
import type { Random } from '../../../domain/random.ts';
import { FaultPlan } from '../../simulator-kit/faults.ts';
import { type NotificationProgress, progressOf } from '../../simulator-kit/notifier.ts';
import { OneTimeCodes } from '../../simulator-kit/one-time-codes.ts';
import {
  ACCESS_TYPE_DIRECT,
  ACP_ENCODING,
  ACP_VERSION,
  CURRENCY_CNY,
  ORDER_REF_FIELD,
  QR_CODE_PREFIX,
  SIGN_METHOD_RSA,
  USER_AUTH_INVALID_MARK,
  USER_AUTH_USED_MARK,
} from '../constants.ts';
import type { AcpFields } from '../form.ts';
import { toAcpTime } from '../time.ts';
import type { SimCa } from './ca.ts';
import { MerchantBook } from './merchants.ts';
import { type DeliveryReport, type NotificationState, Notifier } from './notifier.ts';
import { type SimTxn, type SimTxnState, TxnBook } from './orders.ts';
import { SimSigner } from './signer.ts';

/**
 * The state of one simulated UnionPay and what happens to it off the API: a payer paying a QR or
 * in-app order, a payment code that was waiting for its payer resolving, time passing (which
 * delivers notifications and expires unpaid orders). The HTTP routes are thin layers over this
 * and over transactions.ts.
 */
export interface SimNotificationView extends NotificationProgress<NotificationState> {
  id: string;
}

/** What GET /sim/orders/:orderId shows. */
export interface SimOrderView {
  order_id: string;
  mer_id: string;
  kind: SimTxn['kind'];
  way: SimTxn['way'] | null;
  state: SimTxnState;
  resp_code: string;
  amount_fen: number;
  refunded_fen: number;
  cancelled: boolean;
  query_id: string | null;
  qr_code: string | null;
  tn: string | null;
  back_url: string | null;
  notifications: SimNotificationView[];
}

export type PayResult =
  | { ok: true; order: SimOrderView }
  | { ok: false; code: 'ORDER_NOT_EXIST' | 'ORDER_NOT_PAYABLE' | 'NOTIFICATION_QUEUE_FULL'; message: string };

/** How long a userAuthCode can be used. */
export const USER_AUTH_CODE_TTL_MS = 5 * 60_000;
const FOREIGN_CODES_MAX = 10_000;

/** Paying payment codes examined per delivery round. */
const SETTLE_BATCH_MAX = 1_000;

export class SimCore {
  readonly merchants = new MerchantBook();
  readonly txns = new TxnBook();
  readonly faults: FaultPlan;
  readonly signer: SimSigner;
  readonly notifier: Notifier;
  /** userAuthCodes handed out by the user authorisation page: one-time, 5 minutes. */
  readonly user_auth_codes: OneTimeCodes<{ payer: string }>;
  /** Codes used by an in-app consume that this simulator never issued (lenient mode only). */
  private readonly foreign_codes_used = new Set<string>();
  /**
   * Strict: an in-app consume needs a userAuthCode this simulator issued. Lenient (the default,
   * for tests that invent a code): any code is taken once.
   */
  strict_user_auth = false;

  constructor(
    readonly clock: Clock,
    readonly random: Random,
    readonly ca: SimCa,
  ) {
    this.faults = new FaultPlan(random);
    this.signer = new SimSigner(ca);
    this.notifier = new Notifier(clock, this.faults, this.signer);
    this.user_auth_codes = new OneTimeCodes(clock, random, USER_AUTH_CODE_TTL_MS, 32);
  }

  /**
   * Uses up a userAuthCode for an in-app consume: null when it may be used, otherwise the
   * respMsg of the refusal (a code used before, or unknown or expired in strict mode).
   */
  useUserAuthCode(code: string): string | null {
    const seen = this.user_auth_codes.peek(code);
    if (seen.ok || seen.reason !== 'unknown') {
      const redeemed = this.user_auth_codes.redeem(code);
      if (redeemed.ok) return null;
      return redeemed.reason === 'used'
        ? `用户授权码已使用[${USER_AUTH_USED_MARK}]`
        : `用户授权码已过期[${USER_AUTH_INVALID_MARK}: expired]`;
    }
    if (this.strict_user_auth) return `用户授权码无效[${USER_AUTH_INVALID_MARK}]`;
    if (this.foreign_codes_used.has(code)) return `用户授权码已使用[${USER_AUTH_USED_MARK}]`;
    if (this.foreign_codes_used.size >= FOREIGN_CODES_MAX) this.foreign_codes_used.clear();
    this.foreign_codes_used.add(code);
    return null;
  }

  digits(count: number): string {
    return [...this.random.bytes(count)].map((b) => String(b % 10)).join('');
  }

  /** 21 digits, like the queryIds in UnionPay's samples. */
  newQueryId(): string {
    return `5${this.digits(20)}`;
  }

  newQrCode(): string {
    return `${QR_CODE_PREFIX}00010000/${this.digits(20)}`;
  }

  newTn(): string {
    return `7${this.digits(20)}`;
  }

  /** Moves a payment code whose payer has decided, and expires an unpaid QR / in-app order. */
  async settle(txn: SimTxn): Promise<void> {
    const now_ms = this.clock.now_ms();
    if (txn.state === 'paying' && txn.resolve_at_ms !== undefined && txn.resolve_at_ms <= now_ms) {
      if (txn.resolves_to === 'failure') this.txns.fail(txn, '01', '交易失败', now_ms);
      else await this.succeed(txn);
    } else if (
      txn.state === 'awaiting_payer' &&
      txn.pay_timeout_ms !== undefined &&
      txn.pay_timeout_ms <= now_ms
    ) {
      this.txns.fail(txn, '01', '订单已过期', now_ms);
    }
  }

  /** Marks a transaction successful and queues its notification (when it named a backUrl). */
  async succeed(txn: SimTxn): Promise<void> {
    this.txns.succeed(txn, this.newQueryId(), this.clock.now_ms());
    if (txn.back_url !== undefined)
      await this.notifier.enqueue(txn.order_id, txn.back_url, this.notificationOf(txn));
  }

  /** The payer pays a QR or in-app order. */
  async pay(order_id: string): Promise<PayResult> {
    const txn = this.txns.get(order_id);
    if (txn?.kind !== 'consume') return { ok: false, code: 'ORDER_NOT_EXIST', message: 'no such order' };
    await this.settle(txn);
    if (txn.state === 'success') return { ok: true, order: this.view(txn) };
    if (txn.state !== 'awaiting_payer') {
      return { ok: false, code: 'ORDER_NOT_PAYABLE', message: `the order is ${txn.state}` };
    }
    if (!this.notifier.hasRoom()) {
      return { ok: false, code: 'NOTIFICATION_QUEUE_FULL', message: 'too many notifications pending' };
    }
    await this.succeed(txn);
    return { ok: true, order: this.view(txn) };
  }

  async deliverDueNotifications(): Promise<DeliveryReport> {
    const paying = [...this.txns.paying].slice(0, SETTLE_BATCH_MAX);
    for (const txn of paying) await this.settle(txn);
    return this.notifier.deliverDue();
  }

  notificationOf(txn: SimTxn): AcpFields {
    const done_ms = txn.done_at_ms ?? this.clock.now_ms();
    const time = toAcpTime(done_ms);
    return {
      version: ACP_VERSION,
      encoding: ACP_ENCODING,
      signMethod: SIGN_METHOD_RSA,
      ...txn.codes,
      accessType: ACCESS_TYPE_DIRECT,
      merId: txn.mer_id,
      orderId: txn.order_id,
      txnTime: txn.txn_time,
      txnAmt: String(txn.amount_fen),
      currencyCode: CURRENCY_CNY,
      queryId: txn.query_id ?? '',
      respCode: txn.resp_code,
      respMsg: txn.resp_msg,
      settleAmt: String(txn.amount_fen),
      settleCurrencyCode: CURRENCY_CNY,
      settleDate: time.slice(4, 8),
      traceNo: this.digits(6),
      traceTime: time.slice(4),
      ...(txn.orig_query_id !== undefined ? { origQryId: txn.orig_query_id } : {}),
      ...(txn.req_reserved !== undefined ? { [ORDER_REF_FIELD]: txn.req_reserved } : {}),
    };
  }

  view(txn: SimTxn): SimOrderView {
    return {
      order_id: txn.order_id,
      mer_id: txn.mer_id,
      kind: txn.kind,
      way: txn.way ?? null,
      state: txn.state,
      resp_code: txn.resp_code,
      amount_fen: txn.amount_fen,
      refunded_fen: txn.refunded_fen,
      cancelled: txn.cancelled,
      query_id: txn.query_id ?? null,
      qr_code: txn.qr_code ?? null,
      tn: txn.tn ?? null,
      back_url: txn.back_url ?? null,
      notifications: this.notifier.forOrder(txn.order_id).map((n) => ({
        id: n.id,
        ...progressOf(n),
      })),
    };
  }
}
