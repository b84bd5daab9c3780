import { nextDeliveryAt } from '../domain/delivery-schedule.ts';
import type { ErrorCode } from '../domain/errors.ts';
import { newId } from '../domain/ids.ts';
import type { PaymentState } from '../domain/payment-state.ts';
import type { RefundState } from '../domain/refund-state.ts';
import { insertEventOnce } from '../storage/repositories/events.ts';
import type { PaymentRecord } from '../storage/repositories/payments.ts';
import type { RefundRecord } from '../storage/repositories/refunds.ts';
import type { Tx } from '../storage/transact.ts';
import type { Gateway } from './gateway.ts';
import { paymentView } from './payment-view.ts';
import { refundView } from './refund-view.ts';

/** Which event tells the merchant that a payment reached a state. */
export const STATE_EVENTS: Partial<Record<PaymentState, string>> = {
  SUCCESS: 'payment.succeeded',
  FAILED: 'payment.failed',
  CLOSED: 'payment.closed',
  REVERSED: 'payment.reversed',
};

export const PAID_AFTER_END_EVENT = 'payment.paid_after_close';

/** Which event tells the merchant that a refund reached a state. */
export const REFUND_STATE_EVENTS: Partial<Record<RefundState, string>> = {
  SUCCESS: 'refund.succeeded',
  CLOSED: 'refund.failed',
  ABNORMAL: 'refund.abnormal',
};

/**
 * Writes a merchant event into the outbox, inside the caller's transaction: the event exists if
 * and only if the state change it reports was committed. The dedupe key makes a second report of
 * the same fact (a duplicate notification racing a query) a no-op.
 */
export async function recordPaymentEvent(
  gw: Gateway,
  tx: Tx,
  type: string,
  payment: PaymentRecord,
): Promise<boolean> {
  return recordEvent(gw, tx, { type, payment, subject_id: payment.id });
}

/** A refund's event goes to the refund's notify_url, or else the payment's. */
export async function recordRefundEvent(
  gw: Gateway,
  tx: Tx,
  type: string,
  refund: RefundRecord,
  payment: PaymentRecord,
): Promise<boolean> {
  return recordEvent(gw, tx, {
    type,
    payment,
    subject_id: refund.id,
    object: refundView(refund),
    notify_url: refund.notify_url ?? payment.notify_url,
  });
}

/** The payer's wallet could not tell us who they are: the merchant hears why, with a typed code. */
export const PAYER_IDENTITY_FAILED_EVENT = 'payment.payer_identity_failed';

/**
 * A fact about a payment that is not a state change (each occurrence its own event): `attempt`
 * keeps two occurrences apart, `error` says what went wrong in the error catalogue's words.
 */
export async function recordPaymentIssueEvent(
  gw: Gateway,
  tx: Tx,
  type: string,
  payment: PaymentRecord,
  attempt: string,
  error: { code: ErrorCode; message: string },
): Promise<boolean> {
  return recordEvent(gw, tx, { type, payment, subject_id: `${payment.id}:${attempt}`, extra: { error } });
}

interface NewEvent {
  type: string;
  /** The payment the event is about (or whose refund it is about): owner, and the default target. */
  payment: PaymentRecord;
  /** What the event reports on, once per type (the dedupe key). */
  subject_id: string;
  /** `data.object`; default the payment as merchants see it. */
  object?: unknown;
  /** Where it is delivered; default the payment's notify_url. */
  notify_url?: string | null;
  extra?: Record<string, unknown>;
}

async function recordEvent(gw: Gateway, tx: Tx, event: NewEvent): Promise<boolean> {
  const { type, payment } = event;
  const now = gw.clock.now_ms();
  const id = newId('event', gw.clock, gw.random);
  const object = event.object ?? paymentView(payment, gw.settings.public_url);
  const notify_url = event.notify_url === undefined ? payment.notify_url : event.notify_url;
  const payload = {
    id,
    object: 'event',
    type,
    created_at: new Date(now).toISOString(),
    data: { object, ...event.extra },
  };
  const has_target = notify_url !== null;
  return insertEventOnce(tx, {
    id,
    merchant_id: payment.merchant_id,
    app_id: payment.app_id,
    payment_id: payment.id,
    type,
    dedupe_key: `${type}:${event.subject_id}`,
    payload_json: JSON.stringify(payload),
    notify_url,
    delivery_state: has_target ? 'pending' : 'none',
    attempts: 0,
    next_attempt_at: has_target ? nextDeliveryAt(now, 0) : null,
    lease_until: null,
    lease_owner: null,
    delivered_at: null,
    last_error: null,
    created_at: now,
  });
}
