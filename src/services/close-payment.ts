import { AppError } from '../domain/errors.ts';
import { isTerminal } from '../domain/payment-state.ts';
import { findPaymentById, type PaymentRecord } from '../storage/repositories/payments.ts';
import { closeUnboundCashierPayment, isUnboundCashierPayment } from './cashier-payment.ts';
import { closeAtChannel } from './close-at-channel.ts';
import type { Gateway } from './gateway.ts';

/**
 * The merchant closes a payment the payer has not paid. The channel closes first; only its answer
 * changes our state, so a payer who pays at the last moment ends as SUCCESS, never as a "closed"
 * payment that was charged.
 */
export async function closePayment(gw: Gateway, payment: PaymentRecord): Promise<PaymentRecord> {
  if (payment.state === 'CLOSED') return payment;
  if (isTerminal(payment.state)) {
    throw new AppError(
      'PAYMENT_STATE_CONFLICT',
      `The payment is ${payment.state}; only unpaid payments can be closed.`,
    );
  }
  if (isUnboundCashierPayment(payment)) {
    // No wallet has opened it: no channel holds an order, so it closes here alone.
    const closed = await closeUnboundCashierPayment(gw, payment);
    if (closed) return closed;
    const current = await findPaymentById(gw.store.db, payment.id);
    if (!current) throw new AppError('PAYMENT_NOT_FOUND');
    return closePayment(gw, current);
  }
  const result = await closeAtChannel(gw, payment, 'close');
  if (result.kind === 'unknown') throw new AppError('CHANNEL_UNAVAILABLE');
  if (result.kind === 'refused') {
    throw new AppError(
      'PAYMENT_STATE_CONFLICT',
      `The channel refused to close the payment: ${result.channel_code} ${result.message}`,
    );
  }
  if (result.payment.state === 'SUCCESS') {
    throw new AppError(
      'PAYMENT_STATE_CONFLICT',
      'The payment was paid before it could be closed; it is now SUCCESS.',
    );
  }
  return result.payment;
}
