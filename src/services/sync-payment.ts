import { channelAdapter } from '../channels/registry.ts';
import type { ChannelName } from '../domain/pay-way.ts';
import { isTerminal } from '../domain/payment-state.ts';
import { nextQueryAt, retryAfterUnknownAt } from '../domain/query-schedule.ts';
import { type PaymentRecord, scheduleCheck } from '../storage/repositories/payments.ts';
import { applyObservation } from './apply-observation.ts';
import { closeAtChannel } from './close-at-channel.ts';
import type { Gateway } from './gateway.ts';
import { reverseAtChannel } from './reverse-at-channel.ts';

export type SyncOutcome = 'ended' | 'still_open' | 'channel_unknown' | 'close_refused';

/**
 * Brings one open payment up to date with its channel: a query, and at expiry a close at the
 * channel. This is what turns a lost notification into SUCCESS, an UNKNOWN into a known state, and
 * an unpaid payment into CLOSED — always on the channel's word, never by guessing.
 */
export async function syncPayment(gw: Gateway, payment: PaymentRecord): Promise<SyncOutcome> {
  const now = gw.clock.now_ms();
  const attempts = payment.check_attempts + 1;
  if (isTerminal(payment.state)) return 'ended';

  const adapter = channelAdapter(payment.channel as ChannelName);
  const account = await gw.accounts.load(payment.channel_account_id);
  if (!adapter || !account)
    throw new Error(`payment ${payment.id} names a channel or account that does not exist`);
  const ctx = { clock: gw.clock, random: gw.random, timeout_ms: gw.settings.channel_timeout_ms };

  const queried = await adapter.queryPayment(ctx, account, payment.id);
  if (queried.kind === 'unknown') {
    await gw.store.transact((tx) =>
      scheduleCheck(tx, payment.id, retryAfterUnknownAt(now, attempts), attempts),
    );
    return 'channel_unknown';
  }
  const { kind: _kind, ...observation } = queried;
  const applied = await applyObservation(gw, payment.id, observation, 'query');
  const current = 'payment' in applied ? applied.payment : payment;
  if (isTerminal(current.state)) return 'ended';

  if (now >= payment.expires_at && payment.pay_way.endsWith('_BAR')) {
    // The payer did not confirm in time: cancel the order at the channel (closed loop).
    const reversed = await reverseAtChannel(gw, current);
    if (reversed.kind === 'reversed') return 'ended';
    gw.logger.warn(
      { payment_id: payment.id, result: reversed },
      'payment-code order could not be reversed yet',
    );
    await gw.store.transact((tx) =>
      scheduleCheck(tx, payment.id, retryAfterUnknownAt(now, attempts), attempts),
    );
    return reversed.kind === 'unknown' ? 'channel_unknown' : 'close_refused';
  }
  if (now >= payment.expires_at) {
    const closed = await closeAtChannel(gw, current, 'close');
    if (closed.kind === 'closed' || closed.kind === 'paid')
      return isTerminal(closed.payment.state) ? 'ended' : 'still_open';
    gw.logger.warn(
      { payment_id: payment.id, result: closed },
      'expired payment could not be closed at the channel yet',
    );
    await gw.store.transact((tx) =>
      scheduleCheck(tx, payment.id, retryAfterUnknownAt(now, attempts), attempts),
    );
    return closed.kind === 'unknown' ? 'channel_unknown' : 'close_refused';
  }
  await gw.store.transact((tx) =>
    scheduleCheck(tx, payment.id, nextQueryAt(now, attempts, payment.expires_at), attempts),
  );
  return 'still_open';
}
