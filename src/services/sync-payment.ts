import { failpoint } from '../boot/failpoints.ts';
import { channelAdapter } from '../channels/registry.ts';
import type { ChannelAccount, ChannelAdapter, PayerIdentity } from '../channels/types.ts';
import { type ChannelName, isPaymentCode, type PayWay } from '../domain/pay-way.ts';
import { isTerminal } from '../domain/payment-state.ts';
import { nextQueryAt, retryAfterUnknownAt } from '../domain/query-schedule.ts';
import { IN_WALLET_PAY_WAY } from '../domain/wallet.ts';
import { type PaymentRecord, scheduleCheck } from '../storage/repositories/payments.ts';
import { UNFLUSHED } from '../storage/transact.ts';
import { applyObservation } from './apply-observation.ts';
import { isUnboundCashierPayment, syncUnboundCashierPayment } from './cashier-payment.ts';
import { closeAtChannel } from './close-at-channel.ts';
import { sendToChannel } from './create-payment.ts';
import { channelContext, type Gateway } from './gateway.ts';
import { reverseAtChannel } from './reverse-at-channel.ts';

/**
 * A CREATED payment the channel has never heard of, older than any create still in flight could be
 * (a live create ends within the channel timeout, as UNKNOWN at worst), was cut off by a crash.
 */
export function createResendAfterMs(gw: Gateway): number {
  return Math.max(60_000, 2 * gw.settings.channel_timeout_ms);
}

function isInterruptedCreate(gw: Gateway, p: PaymentRecord, now: number): boolean {
  return (
    p.state === 'CREATED' &&
    p.credential_json === null &&
    !isPaymentCode(p.pay_way) && // a payment code is not kept; the till has moved on anyway
    now < p.expires_at &&
    now - p.created_at >= createResendAfterMs(gw)
  );
}

async function finishInterruptedCreate(
  gw: Gateway,
  payment: PaymentRecord,
  adapter: ChannelAdapter,
  account: ChannelAccount,
): Promise<void> {
  const channel = payment.channel as ChannelName;
  const pay_way = payment.pay_way === 'QR_CASHIER' ? IN_WALLET_PAY_WAY[channel] : (payment.pay_way as PayWay);
  const payer = payment.payer_json ? (JSON.parse(payment.payer_json) as PayerIdentity) : undefined;
  gw.logger.warn({ payment_id: payment.id }, 'finishing a create a crash interrupted');
  await sendToChannel(
    gw,
    payment,
    adapter,
    account,
    pay_way,
    { ...(payer ? { payer } : {}), ...(payment.client_ip ? { client_ip: payment.client_ip } : {}) },
    // A refusal now may be the channel seeing the order the dead process did send: keep asking.
    { keepCreatedWhenRefused: () => true },
  );
}

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
  if (isUnboundCashierPayment(payment)) return syncUnboundCashierPayment(gw, payment);

  const adapter = channelAdapter(payment.channel as ChannelName);
  const account = await gw.accounts.load(payment.channel_account_id);
  if (!adapter || !account)
    throw new Error(`payment ${payment.id} names a channel or account that does not exist`);
  const ctx = channelContext(gw);
  // Only when to ask next: lost to a power cut, the check runs again.
  const checkAgainAt = (at_ms: number) =>
    gw.store.transact((tx) => scheduleCheck(tx, payment.id, at_ms, attempts), UNFLUSHED);

  const queried = await adapter.queryPayment(ctx, account, payment.id);
  failpoint('sync.after_query');
  if (queried.kind === 'unknown') {
    await checkAgainAt(retryAfterUnknownAt(now, attempts));
    return 'channel_unknown';
  }
  const { kind: _kind, ...observation } = queried;
  const applied = await applyObservation(gw, payment.id, observation, 'query');
  const current = 'payment' in applied ? applied.payment : payment;
  if (isTerminal(current.state)) return 'ended';

  if (observation.status === 'NOT_FOUND' && isInterruptedCreate(gw, current, now)) {
    // The process that created it died between the commit and the channel call: finish its work.
    // The channel knows the order by our id, so a create that did arrive after all is not doubled.
    await finishInterruptedCreate(gw, current, adapter, account);
  }

  if (now >= payment.expires_at && isPaymentCode(payment.pay_way)) {
    // The payer did not confirm in time: cancel the order at the channel (closed loop).
    const reversed = await reverseAtChannel(gw, current);
    if (reversed.kind === 'reversed') return 'ended';
    gw.logger.warn(
      { payment_id: payment.id, result: reversed },
      'payment-code order could not be reversed yet',
    );
    await checkAgainAt(retryAfterUnknownAt(now, attempts));
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
    await checkAgainAt(retryAfterUnknownAt(now, attempts));
    return closed.kind === 'unknown' ? 'channel_unknown' : 'close_refused';
  }
  await checkAgainAt(nextQueryAt(now, attempts, payment.expires_at));
  return 'still_open';
}
