import { failpoint } from '../boot/failpoints.ts';
import { channelAdapter } from '../channels/registry.ts';
import type { ChannelName } from '../domain/pay-way.ts';
import type { PaymentRecord } from '../storage/repositories/payments.ts';
import { applyObservation } from './apply-observation.ts';
import { channelContext, type Gateway } from './gateway.ts';

/** Reverse calls in one go while the channel says "call again" (WeChat recall=Y, Alipay retry_flag=Y). */
export const REVERSE_ATTEMPTS_MAX = 5;

export type ReverseResult =
  | { kind: 'reversed'; payment: PaymentRecord }
  | { kind: 'unknown'; reason: string }
  | { kind: 'refused'; channel_code: string; message: string }
  | { kind: 'not_supported' };

/**
 * Cancels a payment-code order at the channel (撤销): closes it if unpaid, refunds it if the payer
 * paid between our last query and now — either way both sides end REVERSED, never "paid here,
 * cancelled there". Repeated while the channel asks, up to REVERSE_ATTEMPTS_MAX; then the sync job
 * tries again later.
 */
export async function reverseAtChannel(gw: Gateway, payment: PaymentRecord): Promise<ReverseResult> {
  const adapter = channelAdapter(payment.channel as ChannelName);
  const account = await gw.accounts.load(payment.channel_account_id);
  if (!adapter?.reversePayment || !account) return { kind: 'not_supported' };
  const ctx = channelContext(gw);
  // Reversed at the channel (or never there): only then is it reversed here.
  const markReversed = async (channel_status: string): Promise<ReverseResult> => {
    const applied = await applyObservation(gw, payment.id, { status: 'REVERSED', channel_status }, 'close');
    return { kind: 'reversed', payment: 'payment' in applied ? applied.payment : payment };
  };
  for (let attempt = 0; attempt < REVERSE_ATTEMPTS_MAX; attempt++) {
    failpoint('sync.before_reverse');
    const outcome = await adapter.reversePayment(ctx, account, payment.id);
    failpoint('sync.after_reverse');
    if (outcome.kind === 'retry') continue;
    if (outcome.kind === 'refused') {
      // Refused because the channel never had the order (the charge request never got there):
      // nothing was taken, so the payment ends here too.
      const queried = await adapter.queryPayment(ctx, account, payment.id);
      if (queried.kind === 'observed' && queried.status === 'NOT_FOUND') return markReversed('NOT_FOUND');
      return outcome;
    }
    if (outcome.kind !== 'reversed') return outcome;
    return markReversed(outcome.channel_status);
  }
  return {
    kind: 'unknown',
    reason: `the channel still asked to call again after ${REVERSE_ATTEMPTS_MAX} reverses`,
  };
}
