import type { RefundObservation } from '../channels/types.ts';
import { assert } from '../domain/assert.ts';
import { decideRefund, isRefundTerminal, refundTransition } from '../domain/refund-state.ts';
import { findPaymentById } from '../storage/repositories/payments.ts';
import {
  findRefundById,
  type RefundChanges,
  type RefundRecord,
  releaseRefundAmount,
  updateRefundIfVersion,
} from '../storage/repositories/refunds.ts';
import type { Tx } from '../storage/transact.ts';
import { REFUND_STATE_EVENTS, recordRefundEvent } from './events.ts';
import type { Gateway } from './gateway.ts';

export type RefundApplyResult =
  | { kind: 'changed' | 'unchanged'; refund: RefundRecord }
  | { kind: 'amount_mismatch' | 'account_mismatch' | 'payment_mismatch'; refund: RefundRecord }
  | { kind: 'not_found' };

const VERSION_RETRIES_MAX = 5;

/**
 * The one way a channel's word changes a refund (the counterpart of apply-observation.ts): state,
 * the reservation released when it closes, and the merchant event, in one transaction.
 * `also` runs inside the same transaction (e.g. the notification audit row).
 */
export async function applyRefundObservation(
  gw: Gateway,
  refund_id: string,
  observation: RefundObservation,
  expect: {
    via_account_id?: string;
    payment_id?: string;
    also?: (tx: Tx, result: RefundApplyResult) => Promise<void>;
  } = {},
): Promise<RefundApplyResult> {
  const result = await gw.store.transact(async (tx) => {
    const applied = await applyInTx(gw, tx, refund_id, observation, expect);
    if (expect.also) await expect.also(tx, applied);
    return applied;
  });
  if (result.kind === 'changed') gw.onEventsCommitted();
  if (result.kind.endsWith('mismatch'))
    gw.logger.error({ refund_id, kind: result.kind }, 'channel contradicts our record of a refund');
  return result;
}

async function applyInTx(
  gw: Gateway,
  tx: Tx,
  refund_id: string,
  observation: RefundObservation,
  expect: { via_account_id?: string; payment_id?: string },
): Promise<RefundApplyResult> {
  for (let attempt = 0; attempt < VERSION_RETRIES_MAX; attempt++) {
    const refund = await findRefundById(tx, refund_id);
    if (!refund) return { kind: 'not_found' };
    if (expect.via_account_id !== undefined && refund.channel_account_id !== expect.via_account_id)
      return { kind: 'account_mismatch', refund };
    if (expect.payment_id !== undefined && refund.payment_id !== expect.payment_id)
      return { kind: 'payment_mismatch', refund };
    if (
      observation.status === 'SUCCESS' &&
      observation.amount_fen !== undefined &&
      observation.amount_fen !== refund.amount_fen
    ) {
      return { kind: 'amount_mismatch', refund };
    }
    const target = decideRefund(refund.state, observation.status);
    if (target === null) return { kind: 'unchanged', refund };
    const now = gw.clock.now_ms();
    const to = refundTransition(refund.state, target);
    const changes: RefundChanges = { state: to, channel_status: observation.channel_status };
    if (observation.channel_refund_no) changes.channel_refund_no = observation.channel_refund_no;
    if (to === 'SUCCESS') changes.succeeded_at = observation.succeeded_at_ms ?? now;
    if (isRefundTerminal(to)) changes.next_check_at = null;
    if (!(await updateRefundIfVersion(tx, refund.id, refund.version, changes, now))) continue;
    const updated: RefundRecord = { ...refund, ...changes, version: refund.version + 1, updated_at: now };
    if (to === 'CLOSED') await releaseRefundAmount(tx, refund.payment_id, refund.amount_fen);
    const payment = await findPaymentById(tx, refund.payment_id);
    assert(payment !== undefined, `refund ${refund.id} has no payment`);
    const event = REFUND_STATE_EVENTS[to];
    if (event) await recordRefundEvent(gw, tx, event, updated, payment);
    return { kind: 'changed', refund: updated };
  }
  assert(false, `refund ${refund_id} kept changing under us`);
}
