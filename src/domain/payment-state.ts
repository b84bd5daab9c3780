import { assert } from './assert.ts';

/**
 * The payment state machine. Every state is named, every allowed move is in TRANSITIONS, and the
 * only way to change a payment's state is `transition()` (which asserts the move is allowed).
 *
 *   CREATED  the row is durable; the channel has not confirmed an order yet.
 *   PENDING  the channel holds an open order; waiting for the payer.
 *   UNKNOWN  a channel call ended without an answer (timeout, 5xx): resolved by query, never guessed.
 *   SUCCESS  the channel says the payer paid. Terminal for the payment (refunds are their own objects).
 *   FAILED   the channel refused or the payer's payment failed; no money moved. Terminal.
 *   CLOSED   closed at the channel before anything was paid. Terminal.
 *   REVERSED a payment-code order cancelled at the channel (撤销). Terminal.
 */
export const PAYMENT_STATES = [
  'CREATED',
  'PENDING',
  'UNKNOWN',
  'SUCCESS',
  'FAILED',
  'CLOSED',
  'REVERSED',
] as const;
export type PaymentState = (typeof PAYMENT_STATES)[number];

export const TRANSITIONS: Readonly<Record<PaymentState, readonly PaymentState[]>> = {
  CREATED: ['PENDING', 'UNKNOWN', 'SUCCESS', 'FAILED', 'CLOSED', 'REVERSED'],
  UNKNOWN: ['PENDING', 'SUCCESS', 'FAILED', 'CLOSED', 'REVERSED'],
  PENDING: ['SUCCESS', 'FAILED', 'CLOSED', 'REVERSED'],
  SUCCESS: [],
  FAILED: [],
  CLOSED: [],
  REVERSED: [],
};

export function isTerminal(state: PaymentState): boolean {
  return TRANSITIONS[state].length === 0;
}

export function canTransition(from: PaymentState, to: PaymentState): boolean {
  return TRANSITIONS[from].includes(to);
}

export function transition(from: PaymentState, to: PaymentState): PaymentState {
  assert(canTransition(from, to), `illegal payment transition ${from} -> ${to}`);
  return to;
}

/**
 * What a channel says about one trade, in our words. Each channel adapter owns one exhaustive map
 * from its own status vocabulary to this; anything it does not recognise maps to UNKNOWN.
 */
export type ChannelTradeStatus =
  | 'NOT_PAID' // order exists, payer has not paid
  | 'PAYING' // payer is confirming (payment codes: USERPAYING)
  | 'PAID' // money taken
  | 'CLOSED' // closed without payment
  | 'REVERSED' // cancelled (payment codes)
  | 'FAILED' // payment attempt failed, nothing taken
  | 'NOT_FOUND' // the channel has no such order
  | 'UNKNOWN'; // no usable answer

/** What to do with a payment given a channel observation of its trade. */
export type Decision =
  | { kind: 'move'; to: PaymentState }
  | { kind: 'stay' }
  /** The channel says paid, but we already ended the payment otherwise: never dropped silently. */
  | { kind: 'paid_after_end'; state: PaymentState };

export function decide(current: PaymentState, observed: ChannelTradeStatus): Decision {
  const target = TARGET_STATE[observed];
  if (observed === 'PAID' && (current === 'CLOSED' || current === 'FAILED' || current === 'REVERSED')) {
    return { kind: 'paid_after_end', state: current };
  }
  if (target === null || target === current) return { kind: 'stay' };
  return canTransition(current, target) ? { kind: 'move', to: target } : { kind: 'stay' };
}

const TARGET_STATE: Readonly<Record<ChannelTradeStatus, PaymentState | null>> = {
  NOT_PAID: 'PENDING',
  PAYING: 'PENDING',
  PAID: 'SUCCESS',
  CLOSED: 'CLOSED',
  REVERSED: 'REVERSED',
  FAILED: 'FAILED',
  // Absence at the channel is not proof of anything while an order may still be in flight.
  NOT_FOUND: null,
  UNKNOWN: null,
};
