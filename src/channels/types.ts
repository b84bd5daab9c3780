import type { Clock } from '../domain/clock.ts';
import type { ChannelName, PayWay } from '../domain/pay-way.ts';
import type { ChannelTradeStatus } from '../domain/payment-state.ts';
import type { Random } from '../domain/random.ts';
import type { ExchangeTiming } from './http-client.ts';

/**
 * The seam between the core and the channels. The core calls channels only through these
 * interfaces, found in the registry (registry.ts); a channel's folder holds its adapter, wire
 * types, simulator and tests. Object in, object out; every outcome a channel can produce is a
 * variant here, so the caller must handle each one.
 */

/** A channel account as the adapter sees it: settings and decrypted secrets. Never logged. */
export interface ChannelAccount {
  id: string;
  channel: ChannelName;
  /** Channel-specific settings, secrets included (decrypted). The adapter validates them. */
  config: Readonly<Record<string, string>>;
}

/** Everything an adapter needs from outside, injected so tests and simulations replay exactly. */
export interface ChannelContext {
  clock: Clock;
  random: Random;
  /** Per-call budget for one HTTP exchange with the channel. */
  timeout_ms: number;
  /** When set, every HTTP exchange with the channel adds its time here. */
  timing?: ExchangeTiming;
}

/** Who pays, as each wallet identifies its user; only the one the pay way needs is set. */
export interface PayerIdentity {
  /** WX_JSAPI / WX_LITE: the payer's openid under the account's appid (sub_openid in partner mode when sub_appid is set). */
  wechat_openid?: string;
  /** ALI_JSAPI: the payer's Alipay user id (2088…), or … */
  alipay_buyer_id?: string;
  /** … the newer open_id; exactly one of the two. */
  alipay_open_id?: string;
  /** UP_JSAPI: the code from Cloud QuickPass user authorisation. */
  unionpay_user_auth_code?: string;
}

export interface PaymentForChannel {
  /** Our payment id; sent to the channel as its out_trade_no / orderId. */
  id: string;
  pay_way: PayWay;
  amount_fen: number;
  subject: string;
  expires_at_ms: number;
  /** Where the channel must send its notification for this payment (our endpoint). */
  channel_notify_url: string;
  client_ip?: string;
  /** *_BAR: the payment code (付款码) the cashier scanned. */
  auth_code?: string;
  payer?: PayerIdentity;
  /** ALI_WAP / ALI_PC / WX_H5: where the payer's browser returns after paying. */
  return_url?: string;
}

/** What the payer needs to pay: depends on the pay way. */
export interface PayCredential {
  /** WX_NATIVE, ALI_QR, UP_QR: the content of the QR code. */
  code_url?: string;
  /** WX_H5 (h5_url), ALI_WAP / ALI_PC (page-pay GET URL): where to send the payer's browser. */
  pay_url?: string;
  /** ALI_WAP / ALI_PC when posted as a form: an auto-submitting HTML form. */
  pay_form_html?: string;
  /** WX_JSAPI / WX_LITE: the signed parameters for WeixinJSBridge / wx.requestPayment. */
  jsapi_params?: Readonly<Record<string, string>>;
  /** WX_APP: the signed parameters for the app SDK. */
  app_params?: Readonly<Record<string, string>>;
  /** ALI_APP: the signed order string for the app SDK. */
  app_order_string?: string;
  /** ALI_JSAPI / UP_JSAPI: the channel trade number the page passes to the wallet's pay call. */
  trade_no?: string;
}

export type CreateOutcome =
  | {
      kind: 'accepted';
      credential: PayCredential;
      channel_trade_no?: string;
      /** Payment codes answer at once with the trade's state (PAID, or PAYING while the payer confirms). */
      observation?: TradeObservation;
    }
  /** The channel answered and said no: nothing was created there. */
  | { kind: 'refused'; channel_code: string; message: string }
  /** No usable answer (timeout, 5xx, bad signature on the reply): the order may exist there. */
  | { kind: 'unknown'; reason: string };

export interface TradeObservation {
  status: ChannelTradeStatus;
  /** The channel's own status word, kept for the audit trail. */
  channel_status: string;
  channel_trade_no?: string;
  amount_fen?: number;
  paid_at_ms?: number;
}

export type QueryOutcome = ({ kind: 'observed' } & TradeObservation) | { kind: 'unknown'; reason: string };

export type CloseOutcome =
  | { kind: 'closed' }
  /** The channel would not close because the order is paid: query and apply the success. */
  | { kind: 'paid' }
  | { kind: 'refused'; channel_code: string; message: string }
  | { kind: 'unknown'; reason: string };

export interface ChannelNotificationRequest {
  /** Header names in lower case, as Node gives them. */
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The body exactly as received: signatures are computed over these bytes. */
  raw_body: string;
}

export type NotificationOutcome =
  | ({
      kind: 'payment';
      /** Our payment id as the channel echoes it. */
      out_trade_no: string;
      amount_fen: number;
      /** Notification event id, for the audit trail and duplicate detection. */
      notification_id: string;
    } & TradeObservation)
  /** Authentic, but not about a payment this adapter handles (yet): acknowledge and record. */
  | { kind: 'ignored'; event_type: string }
  | ({
      kind: 'refund';
      /** Our refund id as the channel echoes it (out_refund_no / out_request_no / orderId). */
      out_refund_no: string;
      out_trade_no: string;
      notification_id: string;
    } & RefundObservation)
  | {
      kind: 'rejected';
      code: 'NOTIFY_SIGNATURE_INVALID' | 'NOTIFY_MALFORMED' | 'NOTIFY_MISMATCH';
      detail: string;
    };

/** The exact reply the channel expects. */
export interface ChannelReply {
  status: number;
  content_type?: string;
  body: string;
}

export interface RefundForChannel {
  /** Our refund id; the channel's out_refund_no (WeChat) / out_request_no (Alipay) / orderId (UnionPay). */
  id: string;
  payment_id: string;
  /** The channel's trade number of the payment, when known. */
  channel_trade_no?: string;
  amount_fen: number;
  /** The whole payment's amount (WeChat requires it in the refund request). */
  payment_amount_fen: number;
  reason?: string;
  channel_notify_url: string;
}

/** A refund's state in our words; each adapter owns one exhaustive map from its channel's words. */
export type ChannelRefundStatus = 'PROCESSING' | 'SUCCESS' | 'CLOSED' | 'ABNORMAL' | 'NOT_FOUND' | 'UNKNOWN';

export interface RefundObservation {
  status: ChannelRefundStatus;
  channel_status: string;
  channel_refund_no?: string;
  amount_fen?: number;
  succeeded_at_ms?: number;
}

export type RefundOutcome =
  | ({ kind: 'observed' } & RefundObservation)
  | { kind: 'refused'; channel_code: string; message: string }
  | { kind: 'unknown'; reason: string };

export type ReverseOutcome =
  /** Cancelled at the channel: closed if unpaid, refunded if paid. */
  | { kind: 'reversed'; channel_status: string }
  /** The channel asks to call again (WeChat recall=Y, Alipay retry_flag=Y). */
  | { kind: 'retry' }
  | { kind: 'refused'; channel_code: string; message: string }
  | { kind: 'unknown'; reason: string };

/** One row of a channel's bill, in our words, for reconciliation. */
export interface BillRow {
  kind: 'payment' | 'refund';
  out_trade_no: string;
  channel_trade_no: string;
  out_refund_no?: string;
  channel_refund_no?: string;
  /** Paid or refunded amount in fen. */
  amount_fen: number;
  fee_fen?: number;
  channel_status: string;
  at_ms: number;
}

export interface ChannelAdapter {
  readonly channel: ChannelName;
  readonly pay_ways: readonly PayWay[];
  /** Throws an Error naming the missing or malformed setting; called when an account is saved and loaded. */
  validateConfig(config: Readonly<Record<string, string>>): void;
  createPayment(
    ctx: ChannelContext,
    account: ChannelAccount,
    payment: PaymentForChannel,
  ): Promise<CreateOutcome>;
  queryPayment(ctx: ChannelContext, account: ChannelAccount, payment_id: string): Promise<QueryOutcome>;
  closePayment(ctx: ChannelContext, account: ChannelAccount, payment_id: string): Promise<CloseOutcome>;
  /** Verifies (signature, freshness, the account's own ids) and decodes one notification. */
  parseNotification(
    ctx: ChannelContext,
    account: ChannelAccount,
    request: ChannelNotificationRequest,
  ): Promise<NotificationOutcome>;
  /** The reply that tells the channel we took the notification (ok) or want it again (not ok). */
  notificationReply(ok: boolean): ChannelReply;

  // Capabilities not every channel has yet. A caller that finds one missing answers a typed
  // "not supported" error; it never skips the step silently.
  /** Cancels a payment-code order whose result is unknown or unwanted (WeChat reverse, Alipay cancel). */
  reversePayment?(ctx: ChannelContext, account: ChannelAccount, payment_id: string): Promise<ReverseOutcome>;
  refund?(ctx: ChannelContext, account: ChannelAccount, refund: RefundForChannel): Promise<RefundOutcome>;
  queryRefund?(
    ctx: ChannelContext,
    account: ChannelAccount,
    refund: RefundForChannel,
  ): Promise<RefundOutcome>;
  /** The channel's bill of one day (YYYY-MM-DD, Beijing time), parsed as a stream. */
  downloadBill?(ctx: ChannelContext, account: ChannelAccount, bill_date: string): AsyncIterable<BillRow>;
  /** The QR cashier's way to learn who the payer is inside this channel's wallet (OAuth / user auth). */
  payer_authorization?: PayerAuthorization;
}

/**
 * Wallet identity capture for the QR cashier (WeChat OAuth snsapi_base, Alipay user authorisation,
 * UnionPay user auth). The cashier sends the payer's browser to `authorizeUrl`; the wallet sends it
 * back to `redirect_uri` with a one-time code and our `state`; `exchange` turns that callback into
 * the payer's identity or a typed failure. Never an identity that is empty or "undefined".
 */
export interface PayerAuthorization {
  /** The in-wallet pay way the identity is for (WX_JSAPI, ALI_JSAPI, UP_JSAPI). */
  readonly pay_way: PayWay;
  /** Why the account cannot authorise payers (a missing AppSecret, say), or null when it can. */
  configProblem(account: ChannelAccount): string | null;
  /** Where to send the payer's browser; the wallet returns to redirect_uri with a code and `state`. */
  authorizeUrl(account: ChannelAccount, redirect_uri: string, state: string): string;
  /** The callback's query parameters (as received) to the payer identity, or a typed failure. */
  exchange(
    ctx: ChannelContext,
    account: ChannelAccount,
    callback: Readonly<Record<string, string>>,
  ): Promise<IdentityOutcome>;
}

export type IdentityFailureCode =
  /** The payer refused, or the wallet said the authorisation failed (no code came back). */
  | 'PAYER_AUTH_DENIED'
  /** The callback carried no code at all (a broken redirect, a code lost behind a `#`). */
  | 'PAYER_AUTH_CODE_MISSING'
  /** The channel says the code was already used. */
  | 'PAYER_AUTH_CODE_REUSED'
  /** The channel says the code is invalid or expired. */
  | 'PAYER_AUTH_CODE_INVALID'
  /** The channel answered without a usable identity (no openid / user_id / open_id). */
  | 'PAYER_IDENTITY_MISSING'
  /** No usable answer from the channel (timeout, 5xx, bad signature). */
  | 'PAYER_AUTH_UNAVAILABLE';

export type IdentityOutcome =
  | { kind: 'identified'; payer: PayerIdentity }
  | { kind: 'failed'; code: IdentityFailureCode; detail: string };
