import { failpoint } from '../boot/failpoints.ts';
import { channelAdapter } from '../channels/registry.ts';
import type { ChannelNotificationRequest, ChannelReply } from '../channels/types.ts';
import { newId } from '../domain/ids.ts';
import type { ChannelName } from '../domain/pay-way.ts';
import { insertChannelNotification } from '../storage/repositories/channel-notifications.ts';
import type { Tx } from '../storage/transact.ts';
import { type ApplyResult, applyObservation } from './apply-observation.ts';
import { applyRefundObservation } from './apply-refund-observation.ts';
import { channelContext, type Gateway } from './gateway.ts';

/**
 * A channel tells us about a payment. Nothing in it is trusted until the adapter verified its
 * signature; then its order, account and amount must match our own record before any change.
 * Every notification, accepted or not, leaves an audit row.
 */
export async function handleChannelNotification(
  gw: Gateway,
  channel: string,
  account_id: string,
  request: ChannelNotificationRequest,
): Promise<ChannelReply> {
  const adapter = channelAdapter(channel as ChannelName);
  if (!adapter) return { status: 404, content_type: 'text/plain', body: 'unknown channel' };
  const account = await gw.accounts.load(account_id);
  if (!account || account.channel !== channel) {
    gw.metrics.channel_notifications.inc({ channel, outcome: 'unknown_account' });
    return adapter.notificationReply(false);
  }
  const ctx = channelContext(gw);
  const outcome = await adapter.parseNotification(ctx, account, request);

  const audit = (
    tx: Tx,
    fields: {
      payment_id: string | null;
      notification_id: string | null;
      outcome: string;
      detail: string | null;
    },
  ) =>
    insertChannelNotification(tx, {
      id: newId('channel_notification', gw.clock, gw.random),
      channel,
      channel_account_id: account.id,
      received_at: gw.clock.now_ms(),
      ...fields,
    });
  const refuse = async (
    reason: string,
    detail: string,
    payment_id: string | null,
    notification_id: string | null,
  ) => {
    gw.metrics.channel_notifications.inc({ channel, outcome: reason });
    gw.logger.warn({ channel, account_id, payment_id, reason, detail }, 'channel notification refused');
    await gw.store.transact((tx) => audit(tx, { payment_id, notification_id, outcome: reason, detail }));
    return adapter.notificationReply(false);
  };

  if (outcome.kind === 'rejected') return refuse(outcome.code, outcome.detail, null, null);
  failpoint('notify.after_verify');
  if (outcome.kind === 'ignored') {
    gw.metrics.channel_notifications.inc({ channel, outcome: 'ignored' });
    await gw.store.transact((tx) =>
      audit(tx, { payment_id: null, notification_id: null, outcome: 'ignored', detail: outcome.event_type }),
    );
    return adapter.notificationReply(true);
  }

  if (outcome.kind === 'refund') {
    const { kind: _k, out_refund_no, out_trade_no, notification_id, ...observation } = outcome;
    failpoint('notify.before_commit');
    const applied = await applyRefundObservation(gw, out_refund_no, observation, {
      via_account_id: account.id,
      payment_id: out_trade_no,
      // The audit row commits with the change it reports, as for payments.
      also: async (tx, result) => {
        if (result.kind !== 'changed' && result.kind !== 'unchanged') return;
        await audit(tx, {
          payment_id: result.refund.payment_id,
          notification_id,
          outcome: `refund_${result.kind}`,
          detail: observation.channel_status,
        });
      },
    });
    failpoint('notify.after_commit');
    if (applied.kind === 'not_found')
      return refuse('NOTIFY_UNKNOWN_ORDER', `no refund ${out_refund_no}`, null, notification_id);
    if (applied.kind !== 'changed' && applied.kind !== 'unchanged') {
      return refuse(
        'NOTIFY_MISMATCH',
        `refund notification: ${applied.kind}`,
        applied.refund.payment_id,
        notification_id,
      );
    }
    gw.metrics.channel_notifications.inc({ channel, outcome: `refund_${applied.kind}` });
    failpoint('notify.before_reply');
    return adapter.notificationReply(true);
  }
  const { kind: _kind, out_trade_no, notification_id, ...observation } = outcome;
  failpoint('notify.before_commit');
  const result: ApplyResult = await applyObservation(gw, out_trade_no, observation, 'notification', {
    via_account_id: account.id,
    also: async (tx, applied) => {
      if (applied.kind !== 'changed' && applied.kind !== 'unchanged' && applied.kind !== 'paid_after_end')
        return;
      await audit(tx, {
        payment_id: out_trade_no,
        notification_id,
        outcome: applied.kind,
        detail: observation.channel_status,
      });
    },
  });
  failpoint('notify.after_commit');
  if (result.kind === 'not_found')
    return refuse('NOTIFY_UNKNOWN_ORDER', `no payment ${out_trade_no}`, null, notification_id);
  if (result.kind === 'account_mismatch') {
    return refuse(
      'NOTIFY_MISMATCH',
      'the payment belongs to another channel account',
      out_trade_no,
      notification_id,
    );
  }
  if (result.kind === 'amount_mismatch') {
    return refuse(
      'NOTIFY_MISMATCH',
      `amount ${observation.amount_fen} differs from ${result.payment.amount_fen}`,
      out_trade_no,
      notification_id,
    );
  }
  gw.metrics.channel_notifications.inc({ channel, outcome: result.kind });
  failpoint('notify.before_reply');
  return adapter.notificationReply(true);
}
