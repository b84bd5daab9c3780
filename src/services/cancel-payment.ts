import { AppError } from '../domain/errors.ts';
import { isPaymentCode } from '../domain/pay-way.ts';
import type { PaymentRecord } from '../storage/repositories/payments.ts';
import type { Gateway } from './gateway.ts';
import { reverseAtChannel } from './reverse-at-channel.ts';

/**
 * The merchant cancels a payment-code payment (撤销): the till gave up, or the customer changed
 * their mind. The channel cancels first — closing it if unpaid, refunding it if paid — and the
 * payment ends REVERSED on both sides. Other pay ways are closed, not cancelled.
 */
export async function cancelPayment(gw: Gateway, payment: PaymentRecord): Promise<PaymentRecord> {
  if (payment.state === 'REVERSED') return payment;
  if (!isPaymentCode(payment.pay_way)) {
    throw new AppError(
      'PAYMENT_STATE_CONFLICT',
      'Only payment-code payments (*_BAR) can be cancelled; close other payments instead.',
    );
  }
  // A cancel of a paid order refunds it at the channel; here a SUCCESS stays SUCCESS (terminal),
  // so the two sides would disagree. Paid payments are refunded through the refund API.
  if (payment.state === 'SUCCESS') {
    throw new AppError('PAYMENT_STATE_CONFLICT', 'The payment is SUCCESS; refund it instead of cancelling.');
  }
  if (payment.state === 'FAILED' || payment.state === 'CLOSED') {
    throw new AppError(
      'PAYMENT_STATE_CONFLICT',
      `The payment is ${payment.state}; there is nothing to cancel.`,
    );
  }
  const result = await reverseAtChannel(gw, payment);
  if (result.kind === 'reversed') return result.payment;
  if (result.kind === 'not_supported')
    throw new AppError('CAPABILITY_NOT_SUPPORTED', `Cancelling through ${payment.channel} is not supported.`);
  if (result.kind === 'refused') {
    throw new AppError(
      'PAYMENT_STATE_CONFLICT',
      `The channel refused to cancel the payment: ${result.channel_code} ${result.message}`,
    );
  }
  throw new AppError(
    'CHANNEL_UNAVAILABLE',
    `The channel did not confirm the cancel (${result.reason}); retry the cancel.`,
  );
}
