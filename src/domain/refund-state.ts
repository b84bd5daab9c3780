import { assert } from './assert.ts';

/**
 * Refund states. A refund row is written (PROCESSING) and its amount reserved against the payment
 * before the channel is called, so the sum of refunds can never pass the payment, even when
 * requests race.
 *
 *   PROCESSING  sent to the channel, or maybe sent (a timeout): only the channel's word ends it.
 *   SUCCESS     the money went back to the payer. Terminal.
 *   CLOSED      the channel refused or closed it; nothing moved; the reservation is released. Terminal.
 *   ABNORMAL    the channel could not pay it out (e.g. the payer's card was closed): needs an
 *               operator; the reservation stays. It may still end SUCCESS or CLOSED.
 */
export const REFUND_STATES = ['PROCESSING', 'SUCCESS', 'CLOSED', 'ABNORMAL'] as const;
export type RefundState = (typeof REFUND_STATES)[number];

export const REFUND_TRANSITIONS: Readonly<Record<RefundState, readonly RefundState[]>> = {
  PROCESSING: ['SUCCESS', 'CLOSED', 'ABNORMAL'],
  ABNORMAL: ['SUCCESS', 'CLOSED'],
  SUCCESS: [],
  CLOSED: [],
};

export function isRefundTerminal(state: RefundState): boolean {
  return REFUND_TRANSITIONS[state].length === 0;
}

export function refundTransition(from: RefundState, to: RefundState): RefundState {
  assert(REFUND_TRANSITIONS[from].includes(to), `illegal refund transition ${from} -> ${to}`);
  return to;
}

export type ChannelRefundWord = 'PROCESSING' | 'SUCCESS' | 'CLOSED' | 'ABNORMAL' | 'NOT_FOUND' | 'UNKNOWN';

/** Where a channel's word moves a refund; null = stay (including "not found" and "unknown"). */
export function decideRefund(current: RefundState, observed: ChannelRefundWord): RefundState | null {
  if (observed === 'NOT_FOUND' || observed === 'UNKNOWN' || observed === 'PROCESSING' || observed === current)
    return null;
  return REFUND_TRANSITIONS[current].includes(observed) ? observed : null;
}
