import { channelAdapter } from '../channels/registry.ts';
import { AppError } from '../domain/errors.ts';
import { isTerminal } from '../domain/payment-state.ts';
import type { PaymentRecord } from '../storage/repositories/payments.ts';
import { applyObservation } from './apply-observation.ts';
import type { Gateway } from './gateway.ts';

/**
 * Closes a payment the payer has not paid. The channel closes first; only its answer changes our
 * state, so a payer who pays at the last moment ends as SUCCESS, never as a "closed" payment that
 * was charged.
 */
export async function closePayment(gw: Gateway, payment: PaymentRecord): Promise<PaymentRecord> {
  if (payment.state === 'CLOSED') return payment;
  if (isTerminal(payment.state)) {
    throw new AppError(
      'PAYMENT_STATE_CONFLICT',
      `The payment is ${payment.state}; only unpaid payments can be closed.`,
    );
  }
  const adapter = channelAdapter(payment.channel as never);
  const account = await gw.accounts.load(payment.channel_account_id);
  if (!adapter || !account)
    throw new Error(`payment ${payment.id} names a channel or account that does not exist`);
  const ctx = { clock: gw.clock, random: gw.random, timeout_ms: gw.settings.channel_timeout_ms };

  const closed = await adapter.closePayment(ctx, account, payment.id);
  if (closed.kind === 'unknown') throw new AppError('CHANNEL_UNAVAILABLE');
  if (closed.kind === 'refused') {
    throw new AppError(
      'PAYMENT_STATE_CONFLICT',
      `The channel refused to close the payment: ${closed.channel_code} ${closed.message}`,
    );
  }
  if (closed.kind === 'closed') {
    const result = await applyObservation(
      gw,
      payment.id,
      { status: 'CLOSED', channel_status: 'CLOSED' },
      'close',
    );
    return resultPayment(result, payment);
  }
  // The channel says it is paid: learn the details by query and apply the success.
  const queried = await adapter.queryPayment(ctx, account, payment.id);
  if (queried.kind === 'unknown') throw new AppError('CHANNEL_UNAVAILABLE');
  const { kind: _kind, ...observation } = queried;
  const result = await applyObservation(gw, payment.id, observation, 'query');
  const after = resultPayment(result, payment);
  if (after.state === 'SUCCESS') {
    throw new AppError(
      'PAYMENT_STATE_CONFLICT',
      'The payment was paid before it could be closed; it is now SUCCESS.',
    );
  }
  return after;
}

function resultPayment(
  result: Awaited<ReturnType<typeof applyObservation>>,
  fallback: PaymentRecord,
): PaymentRecord {
  return result.kind === 'not_found' ? fallback : result.payment;
}
