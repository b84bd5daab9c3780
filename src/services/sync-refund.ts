import { failpoint } from '../boot/failpoints.ts';
import { channelAdapter } from '../channels/registry.ts';
import type { ChannelName } from '../domain/pay-way.ts';
import { nextQueryAt, retryAfterUnknownAt } from '../domain/query-schedule.ts';
import { isRefundTerminal } from '../domain/refund-state.ts';
import { findPaymentById } from '../storage/repositories/payments.ts';
import { type RefundRecord, scheduleRefundCheck } from '../storage/repositories/refunds.ts';
import { UNFLUSHED } from '../storage/transact.ts';
import { applyRefundObservation } from './apply-refund-observation.ts';
import { closeRefusedRefund, refundForChannel } from './create-refund.ts';
import { channelContext, type Gateway } from './gateway.ts';
import { createResendAfterMs } from './sync-payment.ts';

/** Asks the channel about a refund still PROCESSING (or ABNORMAL) and applies its answer. */
export async function syncRefund(
  gw: Gateway,
  refund: RefundRecord,
): Promise<'ended' | 'still_open' | 'channel_unknown'> {
  const now = gw.clock.now_ms();
  const attempts = refund.check_attempts + 1;
  const adapter = channelAdapter(refund.channel as ChannelName);
  const account = await gw.accounts.load(refund.channel_account_id);
  const payment = await findPaymentById(gw.store.db, refund.payment_id);
  if (!adapter?.queryRefund || !account || !payment) {
    gw.logger.error(
      { refund_id: refund.id },
      'refund cannot be queried: channel, account or payment missing',
    );
    return 'channel_unknown';
  }
  const ctx = channelContext(gw);
  // Only when to ask next: lost to a power cut, the check runs again.
  const checkAgainAt = (at_ms: number) =>
    gw.store.transact((tx) => scheduleRefundCheck(tx, refund.id, at_ms, attempts), UNFLUSHED);
  const request = refundForChannel(gw, refund, payment);
  let queried = await adapter.queryRefund(ctx, account, request);
  failpoint('sync.after_refund_query');
  // The channel never got this refund (we crashed before calling it, or the request was lost on the
  // way): ask again under the same refund number, which every channel takes as the same refund.
  // Without this the refund stayed PROCESSING for ever, its amount reserved (found by the seeded
  // simulation, src/sim).
  // Only once no live request can still be on its way (it ends within the channel timeout).
  if (
    queried.kind === 'observed' &&
    queried.status === 'NOT_FOUND' &&
    adapter.refund &&
    now - refund.created_at >= createResendAfterMs(gw)
  ) {
    queried = await adapter.refund(ctx, account, request);
    if (queried.kind === 'refused') {
      const closed = await closeRefusedRefund(gw, refund, queried.channel_code, queried.message);
      if (closed.kind !== 'not_found' && isRefundTerminal(closed.refund.state)) return 'ended';
    }
  }
  if (queried.kind !== 'observed') {
    await checkAgainAt(retryAfterUnknownAt(now, attempts));
    return 'channel_unknown';
  }
  const { kind: _kind, ...observation } = queried;
  const applied = await applyRefundObservation(gw, refund.id, observation);
  if (applied.kind !== 'not_found' && isRefundTerminal(applied.refund.state)) return 'ended';
  // Refunds have no expiry: keep asking at the slowest pace until the channel ends them.
  await checkAgainAt(nextQueryAt(now, attempts, Number.MAX_SAFE_INTEGER));
  return 'still_open';
}
