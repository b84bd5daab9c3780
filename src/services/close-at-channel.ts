import { failpoint } from '../boot/failpoints.ts';
import { channelAdapter } from '../channels/registry.ts';
import type { ChannelName } from '../domain/pay-way.ts';
import type { PaymentRecord } from '../storage/repositories/payments.ts';
import { applyObservation, type ObservationSource } from './apply-observation.ts';
import { channelContext, type Gateway } from './gateway.ts';

export type CloseResult =
  | { kind: 'closed' | 'paid'; payment: PaymentRecord }
  /** The channel did not answer: nothing changed; try again later. */
  | { kind: 'unknown'; reason: string }
  | { kind: 'refused'; channel_code: string; message: string };

/**
 * Closes a payment at its channel first and only then here. If the channel says the payer has
 * paid, the success is learnt by query and applied instead: a charged payment is never CLOSED.
 * Used by the merchant's close and by expiry.
 */
export async function closeAtChannel(
  gw: Gateway,
  payment: PaymentRecord,
  source: ObservationSource,
): Promise<CloseResult> {
  const adapter = channelAdapter(payment.channel as ChannelName);
  const account = await gw.accounts.load(payment.channel_account_id);
  if (!adapter || !account)
    throw new Error(`payment ${payment.id} names a channel or account that does not exist`);
  const ctx = channelContext(gw);

  // Closed at the channel (or never there): only then is it closed here.
  const markClosed = async (channel_status: string): Promise<CloseResult> => {
    const result = await applyObservation(gw, payment.id, { status: 'CLOSED', channel_status }, source);
    return { kind: 'closed', payment: 'payment' in result ? result.payment : payment };
  };

  failpoint('sync.before_close');
  const closed = await adapter.closePayment(ctx, account, payment.id);
  failpoint('sync.after_close');
  if (closed.kind === 'unknown') return closed;
  if (closed.kind === 'refused') {
    // The channel may refuse because it never had the order (the create never reached it):
    // a query tells that apart from a real refusal.
    const queried = await adapter.queryPayment(ctx, account, payment.id);
    if (queried.kind === 'observed' && queried.status === 'NOT_FOUND') return markClosed('NOT_FOUND');
    return closed;
  }
  if (closed.kind === 'closed') return markClosed('CLOSED');
  const queried = await adapter.queryPayment(ctx, account, payment.id);
  if (queried.kind === 'unknown') return queried;
  const { kind: _kind, ...observation } = queried;
  const result = await applyObservation(gw, payment.id, observation, 'query');
  return { kind: 'paid', payment: 'payment' in result ? result.payment : payment };
}
