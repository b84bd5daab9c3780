import { nextDeliveryAt } from '../domain/delivery-schedule.ts';
import { newId } from '../domain/ids.ts';
import type { PaymentState } from '../domain/payment-state.ts';
import { insertEventOnce } from '../storage/repositories/events.ts';
import type { PaymentRecord } from '../storage/repositories/payments.ts';
import type { Tx } from '../storage/transact.ts';
import type { Gateway } from './gateway.ts';
import { paymentView } from './payment-view.ts';

/** Which event tells the merchant that a payment reached a state. */
export const STATE_EVENTS: Partial<Record<PaymentState, string>> = {
  SUCCESS: 'payment.succeeded',
  FAILED: 'payment.failed',
  CLOSED: 'payment.closed',
  REVERSED: 'payment.reversed',
};

export const PAID_AFTER_END_EVENT = 'payment.paid_after_close';

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
  const now = gw.clock.now_ms();
  const id = newId('event', gw.clock, gw.random);
  const payload = {
    id,
    object: 'event',
    type,
    created_at: new Date(now).toISOString(),
    data: { object: paymentView(payment, gw.settings.public_url) },
  };
  const has_target = payment.notify_url !== null;
  return insertEventOnce(tx, {
    id,
    merchant_id: payment.merchant_id,
    app_id: payment.app_id,
    payment_id: payment.id,
    type,
    dedupe_key: `${type}:${payment.id}`,
    payload_json: JSON.stringify(payload),
    notify_url: payment.notify_url,
    delivery_state: has_target ? 'pending' : 'none',
    attempts: 0,
    next_attempt_at: has_target ? nextDeliveryAt(now, 0) : null,
    lease_until: null,
    delivered_at: null,
    last_error: null,
    created_at: now,
  });
}
