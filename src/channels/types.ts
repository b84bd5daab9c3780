import type { Clock } from '../domain/clock.ts';
import type { ChannelName, PayWay } from '../domain/pay-way.ts';
import type { ChannelTradeStatus } from '../domain/payment-state.ts';
import type { Random } from '../domain/random.ts';

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
}

export interface PaymentForChannel {
  /** Our payment id; sent to the channel as its out_trade_no. */
  id: string;
  pay_way: PayWay;
  amount_fen: number;
  subject: string;
  expires_at_ms: number;
  /** Where the channel must send its notification for this payment (our endpoint). */
  channel_notify_url: string;
  client_ip?: string;
}

/** What the payer needs to pay: depends on the pay way. */
export interface PayCredential {
  /** WX_NATIVE, ALI_QR, UP_QR: the content of the QR code. */
  code_url?: string;
}

export type CreateOutcome =
  | { kind: 'accepted'; credential: PayCredential; channel_trade_no?: string }
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
}
