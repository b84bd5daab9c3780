import type { TradeObservation } from '../channels/types.ts';
import { assert } from '../domain/assert.ts';
import { decide, isTerminal, transition } from '../domain/payment-state.ts';
import {
  findPaymentById,
  type PaymentChanges,
  type PaymentRecord,
  updatePaymentIfVersion,
} from '../storage/repositories/payments.ts';
import type { Tx } from '../storage/transact.ts';
import { PAID_AFTER_END_EVENT, recordPaymentEvent, STATE_EVENTS } from './events.ts';
import type { Gateway } from './gateway.ts';

export type ObservationSource = 'create' | 'notification' | 'query' | 'close';

export type ApplyResult =
  | { kind: 'changed'; payment: PaymentRecord }
  | { kind: 'unchanged'; payment: PaymentRecord }
  | { kind: 'paid_after_end'; payment: PaymentRecord }
  | { kind: 'amount_mismatch'; payment: PaymentRecord }
  /** The observation came through another channel account than the payment's. */
  | { kind: 'account_mismatch'; payment: PaymentRecord }
  | { kind: 'not_found' };

/** Optimistic retries when another writer changed the payment between our read and write. */
const VERSION_RETRIES_MAX = 5;

/**
 * The one way a channel's word changes a payment: read, decide with the state machine, write the
 * new state and its merchant event in the same transaction. Applying the same observation twice,
 * or an older one after a newer, changes nothing (the state machine only moves forward).
 *
 * `also` runs inside the same transaction (e.g. the notification audit row).
 */
export async function applyObservation(
  gw: Gateway,
  payment_id: string,
  observation: TradeObservation,
  source: ObservationSource,
  options: { via_account_id?: string; also?: (tx: Tx, result: ApplyResult) => Promise<void> } = {},
): Promise<ApplyResult> {
  const outcome = await gw.store.transact(async (tx) => {
    const result = await applyInTx(gw, tx, payment_id, observation, source, options.via_account_id);
    if (options.also) await options.also(tx, result);
    return result;
  });
  if (outcome.kind === 'changed' || outcome.kind === 'paid_after_end') gw.onEventsCommitted();
  if (
    outcome.kind === 'paid_after_end' ||
    outcome.kind === 'amount_mismatch' ||
    outcome.kind === 'account_mismatch'
  ) {
    gw.logger.error(
      { payment_id, state: outcome.payment.state, observed: observation.status, source, kind: outcome.kind },
      'channel contradicts our record of a payment',
    );
  }
  return outcome;
}

async function applyInTx(
  gw: Gateway,
  tx: Tx,
  payment_id: string,
  observation: TradeObservation,
  source: ObservationSource,
  via_account_id: string | undefined,
): Promise<ApplyResult> {
  for (let attempt = 0; attempt < VERSION_RETRIES_MAX; attempt++) {
    const payment = await findPaymentById(tx, payment_id);
    if (!payment) return { kind: 'not_found' };
    if (via_account_id !== undefined && payment.channel_account_id !== via_account_id) {
      return { kind: 'account_mismatch', payment };
    }
    // A success for another amount is not our payment's success: never apply it.
    if (
      observation.status === 'PAID' &&
      observation.amount_fen !== undefined &&
      observation.amount_fen !== payment.amount_fen
    ) {
      return { kind: 'amount_mismatch', payment };
    }
    const decision = decide(payment.state, observation.status);
    if (decision.kind === 'stay') return { kind: 'unchanged', payment };
    if (decision.kind === 'paid_after_end') {
      await recordPaymentEvent(gw, tx, PAID_AFTER_END_EVENT, payment);
      return { kind: 'paid_after_end', payment };
    }
    const now = gw.clock.now_ms();
    const to = transition(payment.state, decision.to);
    const changes: PaymentChanges = { state: to, channel_status: observation.channel_status };
    if (observation.channel_trade_no) changes.channel_trade_no = observation.channel_trade_no;
    if (to === 'SUCCESS') changes.paid_at = observation.paid_at_ms ?? now;
    if (isTerminal(to)) {
      changes.ended_at = now;
      changes.next_check_at = null;
    }
    if (await updatePaymentIfVersion(tx, payment.id, payment.version, changes, now)) {
      const updated: PaymentRecord = {
        ...payment,
        ...changes,
        version: payment.version + 1,
        updated_at: now,
      };
      const event_type = STATE_EVENTS[to];
      if (event_type) await recordPaymentEvent(gw, tx, event_type, updated);
      gw.metrics.payment_transitions.inc({ from: payment.state, to, source });
      return { kind: 'changed', payment: updated };
    }
  }
  assert(false, `payment ${payment_id} kept changing under us for ${VERSION_RETRIES_MAX} attempts`);
}
