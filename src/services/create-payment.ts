import { createHash } from 'node:crypto';
import { failpoint } from '../boot/failpoints.ts';
import type { ExchangeTiming } from '../channels/http-client.ts';
import { channelAdapter } from '../channels/registry.ts';
import type {
  ChannelAccount,
  ChannelAdapter,
  CreateOutcome,
  PayCredential,
  PaymentForChannel,
} from '../channels/types.ts';
import { assert } from '../domain/assert.ts';
import { AppError } from '../domain/errors.ts';
import { newId } from '../domain/ids.ts';
import { paymentAmountProblem } from '../domain/money.ts';
import { channelOfPayWay, isPaymentCode, type PayWay } from '../domain/pay-way.ts';
import { checkPayWayInputs, type PayWayInputs } from '../domain/pay-way-inputs.ts';
import { transition } from '../domain/payment-state.ts';
import { nextQueryAt } from '../domain/query-schedule.ts';
import {
  findPaymentById,
  findPaymentByOrderNo,
  insertPaymentIfNew,
  type PaymentChanges,
  type PaymentRecord,
  updatePaymentIfVersion,
} from '../storage/repositories/payments.ts';
import type { AppCredential } from './app-credentials.ts';
import { applyObservation } from './apply-observation.ts';
import { createCashierPayment } from './cashier-payment.ts';
import { recordPaymentEvent, STATE_EVENTS } from './events.ts';
import { channelContext, type Gateway } from './gateway.ts';

export interface CreatePaymentInput extends PayWayInputs {
  merchant_order_no: string;
  pay_way: PayWay;
  amount: number;
  subject: string;
  notify_url?: string;
  expires_in_s?: number;
  metadata?: Record<string, string>;
}

export const PAYMENT_EXPIRY_DEFAULT_S = 7200;
/**
 * A payment code is polled this long (about 30 s, as the channels advise) before the order is
 * cancelled at the channel; the payer is standing at the till.
 */
export const PAYMENT_CODE_WINDOW_MS = 30_000;

/**
 * Creates a payment: durable row first (CREATED), then the channel call, then the channel's answer
 * applied. A crash between the two leaves a CREATED payment that the sync job resolves; the
 * merchant order number makes a retry find the same payment instead of making a second one.
 */
export async function createPayment(
  gw: Gateway,
  app: AppCredential,
  input: CreatePaymentInput,
  /** Collects the time of the channel exchanges, for the response's Server-Timing. */
  timing?: ExchangeTiming,
): Promise<{ created: boolean; payment: PaymentRecord }> {
  if (paymentAmountProblem(input.amount)) throw new AppError('AMOUNT_INVALID', undefined, 'amount');
  const request_hash = hashCreateInput(input);
  const pay_way = checkPayWayInputs(input.pay_way, input);
  if (pay_way === 'QR_CASHIER') return createCashierPayment(gw, app, input, request_hash);
  const channel = channelOfPayWay(pay_way);
  const adapter = channel ? channelAdapter(channel) : undefined;
  if (!channel || !adapter?.pay_ways.includes(pay_way)) {
    throw new AppError('PAY_WAY_UNSUPPORTED', `pay_way ${pay_way} is not available yet.`, 'pay_way');
  }
  const account = (await gw.accounts.enabledFor(app.merchant_id, channel))[0];
  if (!account) {
    // A retry of a payment made before its account was disabled still finds that payment.
    const existing = await findPaymentByOrderNo(gw.store.db, app.app_id, input.merchant_order_no);
    if (existing) return { created: false, payment: sameRequestOrThrow(existing, request_hash) };
    throw new AppError('NO_CHANNEL_ACCOUNT', undefined, 'pay_way');
  }

  const now = gw.clock.now_ms();
  const is_code = isPaymentCode(pay_way);
  const expires_at =
    now + (is_code ? PAYMENT_CODE_WINDOW_MS : (input.expires_in_s ?? PAYMENT_EXPIRY_DEFAULT_S) * 1000);
  const payment = newPaymentRecord(gw, app, input, request_hash, {
    channel,
    channel_account_id: account.id,
    pay_way,
    expires_at,
    code_url: null,
    // Asked about at the channel on a schedule until it ends, whatever notifications do.
    next_check_at: nextQueryAt(now, 0, expires_at),
    payer_json: input.payer ? JSON.stringify(input.payer) : null,
  });
  // The row must be on disk before a payment code goes out: the channel charges the payer on
  // receipt, and a power cut must not leave money taken with no record of it. Any other order can
  // only be paid with what this request answers, and the answer waits for the flushed commit of
  // the channel's outcome, which carries this row to disk with it (ADR 0007).
  const retry = await insertUnlessRetry(gw, payment, { flush: is_code });
  if (retry) return { created: false, payment: retry };

  const sent = await sendToChannel(gw, payment, adapter, account, pay_way, input, { timing });
  return { created: true, payment: sent.payment };
}

/** What differs between the payments the gateway creates (a channel's, or the QR cashier's). */
export type NewPaymentFields = Pick<
  PaymentRecord,
  'channel' | 'channel_account_id' | 'pay_way' | 'expires_at' | 'code_url' | 'next_check_at' | 'payer_json'
> & { id?: string };

/** A new payment in CREATED, as the merchant asked for it. */
export function newPaymentRecord(
  gw: Gateway,
  app: AppCredential,
  input: CreatePaymentInput,
  request_hash: string,
  fields: NewPaymentFields,
): PaymentRecord {
  const now = gw.clock.now_ms();
  return {
    id: fields.id ?? newId('payment', gw.clock, gw.random),
    merchant_id: app.merchant_id,
    app_id: app.app_id,
    channel_account_id: fields.channel_account_id,
    channel: fields.channel,
    pay_way: fields.pay_way,
    merchant_order_no: input.merchant_order_no,
    amount_fen: input.amount,
    currency: 'CNY',
    subject: input.subject,
    state: 'CREATED',
    version: 0,
    notify_url: input.notify_url ?? null,
    client_ip: input.client_ip ?? null,
    request_hash,
    code_url: fields.code_url,
    channel_trade_no: null,
    channel_status: null,
    failure_code: null,
    failure_message: null,
    metadata_json: input.metadata ? JSON.stringify(input.metadata) : null,
    expires_at: fields.expires_at,
    paid_at: null,
    ended_at: null,
    created_at: now,
    updated_at: now,
    next_check_at: fields.next_check_at,
    check_attempts: 0,
    refund_reserved_fen: 0,
    credential_json: null,
    payer_json: fields.payer_json,
  };
}

/**
 * Commits the new payment, or — when its merchant order number is taken, by an earlier request or
 * a concurrent one — answers as a retry with the payment that holds it (same request) or refuses.
 */
export async function insertUnlessRetry(
  gw: Gateway,
  payment: PaymentRecord,
  options: { flush: boolean } = { flush: true },
): Promise<PaymentRecord | null> {
  failpoint('create.before_insert_commit');
  const inserted = await gw.store.transact((tx) => insertPaymentIfNew(tx, payment), options);
  failpoint('create.after_insert_commit');
  if (inserted) return null;
  const winner = await findPaymentByOrderNo(gw.store.db, payment.app_id, payment.merchant_order_no);
  if (!winner) throw new Error('payment vanished after a unique conflict');
  // Still CREATED: the request that made it may be at the channel yet, its row committed without
  // a flush. This answer must not tell of a payment that a power cut could take back.
  if (winner.state === 'CREATED') await gw.store.flushLog();
  return sameRequestOrThrow(winner, payment.request_hash);
}

/**
 * Asks the channel for the order of a CREATED payment and applies its answer. `pay_way` is the
 * channel's own way (a QR cashier payment pays with the wallet's in-app way).
 */
export async function sendToChannel(
  gw: Gateway,
  payment: PaymentRecord,
  adapter: ChannelAdapter,
  account: ChannelAccount,
  pay_way: PayWay,
  input: PayWayInputs,
  options: {
    /** A refusal with this code leaves the payment CREATED (the QR cashier lets the payer retry). */
    keepCreatedWhenRefused?: (channel_code: string) => boolean;
    timing?: ExchangeTiming;
  } = {},
): Promise<{ outcome: CreateOutcome; payment: PaymentRecord }> {
  const channel = adapter.channel;
  const for_channel: PaymentForChannel = {
    id: payment.id,
    pay_way,
    amount_fen: payment.amount_fen,
    subject: payment.subject,
    expires_at_ms: payment.expires_at,
    channel_notify_url: `${gw.settings.public_url}/v1/channel-notify/${channel}/${account.id}`,
    ...(input.client_ip ? { client_ip: input.client_ip } : {}),
    ...(input.auth_code ? { auth_code: input.auth_code } : {}),
    ...(input.payer ? { payer: input.payer } : {}),
    ...(input.return_url ? { return_url: input.return_url } : {}),
  };
  const ctx = channelContext(gw, options.timing);
  failpoint('create.before_channel_call');
  const outcome = await adapter.createPayment(ctx, account, for_channel);
  failpoint('create.after_channel_call');
  gw.metrics.payments_created.inc({ channel, pay_way, outcome: outcome.kind });
  // A refusal means nothing exists at the channel, so the payment may stay open for another try.
  if (outcome.kind === 'refused' && options.keepCreatedWhenRefused?.(outcome.channel_code)) {
    return { outcome, payment };
  }
  let after = await applyCreateOutcome(gw, payment, outcome);
  // A payment code answers with the trade's state at once (paid, or the payer is confirming).
  if (outcome.kind === 'accepted' && outcome.observation) {
    const applied = await applyObservation(gw, payment.id, outcome.observation, 'create');
    if (applied.kind !== 'not_found') after = applied.payment;
  }
  return { outcome, payment: after };
}

async function applyCreateOutcome(
  gw: Gateway,
  payment: PaymentRecord,
  outcome: CreateOutcome,
): Promise<PaymentRecord> {
  const changes: PaymentChanges = {};
  if (outcome.kind === 'accepted') {
    changes.state = transition(payment.state, 'PENDING');
    changes.code_url = outcome.credential.code_url ?? null;
    changes.credential_json = credentialJson(outcome.credential);
    if (outcome.channel_trade_no) changes.channel_trade_no = outcome.channel_trade_no;
  } else if (outcome.kind === 'refused') {
    changes.state = transition(payment.state, 'FAILED');
    changes.failure_code = outcome.channel_code;
    changes.failure_message = outcome.message;
  } else {
    // The order may or may not exist at the channel: only a query can tell.
    changes.state = transition(payment.state, 'UNKNOWN');
    changes.failure_message = outcome.reason;
  }
  const now = gw.clock.now_ms();
  if (changes.state === 'FAILED') {
    changes.ended_at = now;
    changes.next_check_at = null;
  }
  failpoint('create.before_outcome_commit');
  const updated = await gw.store.transact(async (tx) => {
    if (await updatePaymentIfVersion(tx, payment.id, payment.version, changes, now)) {
      const after: PaymentRecord = { ...payment, ...changes, version: payment.version + 1, updated_at: now };
      const event_type = STATE_EVENTS[after.state];
      if (event_type) await recordPaymentEvent(gw, tx, event_type, after);
      return after;
    }
    // A notification got there first (the payer was quicker than our commit): its state stands,
    // and what the channel gave the payer is still recorded.
    const current = await findPaymentById(tx, payment.id);
    assert(current !== undefined, `payment ${payment.id} vanished`);
    if (current.credential_json !== null || !changes.credential_json) return current;
    const late: PaymentChanges = {
      code_url: changes.code_url ?? null,
      credential_json: changes.credential_json,
    };
    assert(
      await updatePaymentIfVersion(tx, current.id, current.version, late, now),
      'payment changed inside a transaction',
    );
    return { ...current, ...late, version: current.version + 1, updated_at: now };
  });
  failpoint('create.after_outcome_commit');
  if (updated.state !== payment.state) {
    gw.metrics.payment_transitions.inc({ from: payment.state, to: updated.state, source: 'create' });
  }
  if (updated.state === 'FAILED') gw.onEventsCommitted();
  return updated;
}

function credentialJson(credential: PayCredential): string | null {
  return Object.keys(credential).length > 0 ? JSON.stringify(credential) : null;
}

export function sameRequestOrThrow(existing: PaymentRecord, request_hash: string): PaymentRecord {
  if (existing.request_hash !== request_hash)
    throw new AppError('MERCHANT_ORDER_NO_REUSED', undefined, 'merchant_order_no');
  return existing;
}

/** A stable hash of what the merchant asked for, independent of key order in their JSON. */
export function hashCreateInput(input: CreatePaymentInput): string {
  const sorted = (o: Record<string, string | undefined> | undefined) =>
    o ? Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)) : null;
  const canonical = JSON.stringify([
    input.merchant_order_no,
    input.pay_way,
    input.amount,
    input.subject,
    input.notify_url ?? null,
    input.client_ip ?? null,
    input.expires_in_s ?? null,
    sorted(input.metadata),
    input.auth_code ?? null,
    sorted(input.payer),
    input.return_url ?? null,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}
