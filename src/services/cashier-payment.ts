import { channelAdapter, registeredChannels } from '../channels/registry.ts';
import type { IdentityFailureCode, PayerAuthorization, PayerIdentity } from '../channels/types.ts';
import { AppError, ERROR_CATALOGUE, type ErrorCode } from '../domain/errors.ts';
import { newId } from '../domain/ids.ts';
import type { ChannelName } from '../domain/pay-way.ts';
import { isTerminal, transition } from '../domain/payment-state.ts';
import { nextQueryAt } from '../domain/query-schedule.ts';
import { IN_WALLET_PAY_WAY } from '../domain/wallet.ts';
import { countPaymentEvents } from '../storage/repositories/events.ts';
import {
  bindCashierPaymentIfVersion,
  findPaymentById,
  findPaymentByOrderNo,
  type PaymentRecord,
  scheduleCheck,
  updatePaymentIfVersion,
} from '../storage/repositories/payments.ts';
import type { AppCredential } from './app-credentials.ts';
import type { LoadedChannelAccount } from './channel-accounts.ts';
import {
  type CreatePaymentInput,
  insertUnlessRetry,
  newPaymentRecord,
  PAYMENT_EXPIRY_DEFAULT_S,
  sameRequestOrThrow,
  sendToChannel,
} from './create-payment.ts';
import {
  PAYER_IDENTITY_FAILED_EVENT,
  recordPaymentEvent,
  recordPaymentIssueEvent,
  STATE_EVENTS,
} from './events.ts';
import type { Gateway } from './gateway.ts';

/**
 * The QR cashier (one code, any wallet). The merchant creates a QR_CASHIER payment and shows its
 * cashier URL as a QR code; no channel knows of it yet, so its channel and account are empty.
 * The first wallet that opens it and tells us who the payer is binds it: the binding is durable
 * before the channel is asked for the in-wallet order, so from then on it is an ordinary payment
 * of that channel (queried, closed at expiry, reconciled). Unbound, it ends CLOSED at expiry
 * without any channel call, because no channel has an order to close.
 */

/**
 * The channel of a cashier payment that no wallet has opened yet. Its channel_account_id names
 * one of the merchant's cashier-capable accounts until then (the column must name an account);
 * the empty channel is what says no channel holds an order.
 */
export const UNBOUND = '';

export function isUnboundCashierPayment(p: PaymentRecord): boolean {
  return p.pay_way === 'QR_CASHIER' && p.channel === UNBOUND;
}

/** A merchant's events about failed identity capture stop here for one payment: a loop of
 * retries by a payer (or someone replaying callbacks) must not flood the merchant. */
export const IDENTITY_FAILURE_EVENTS_PER_PAYMENT_MAX = 5;

export interface AcceptedWallet {
  channel: ChannelName;
  account: LoadedChannelAccount;
  authorization: PayerAuthorization;
}

/** The wallets the merchant's enabled accounts can take through the cashier, in registry order. */
export async function acceptedWallets(gw: Gateway, merchant_id: string): Promise<AcceptedWallet[]> {
  const wallets: AcceptedWallet[] = [];
  for (const channel of registeredChannels()) {
    const authorization = channelAdapter(channel)?.payer_authorization;
    if (!authorization) continue;
    const account = (await gw.accounts.enabledFor(merchant_id, channel)).find(
      (a) => authorization.configProblem(a) === null,
    );
    if (account) wallets.push({ channel, account, authorization });
  }
  return wallets;
}

export async function createCashierPayment(
  gw: Gateway,
  app: AppCredential,
  input: CreatePaymentInput,
  request_hash: string,
): Promise<{ created: boolean; payment: PaymentRecord }> {
  const wallets = await acceptedWallets(gw, app.merchant_id);
  const provisional = wallets[0];
  if (!provisional) {
    const existing = await findPaymentByOrderNo(gw.store.db, app.app_id, input.merchant_order_no);
    if (existing) return { created: false, payment: sameRequestOrThrow(existing, request_hash) };
    throw new AppError(
      'NO_CHANNEL_ACCOUNT',
      'QR_CASHIER needs an enabled account that can identify payers (WeChat with oauth_app_secret, Alipay or UnionPay).',
      'pay_way',
    );
  }
  const id = newId('payment', gw.clock, gw.random);
  const expires_at = gw.clock.now_ms() + (input.expires_in_s ?? PAYMENT_EXPIRY_DEFAULT_S) * 1000;
  const payment = newPaymentRecord(gw, app, input, request_hash, {
    id,
    channel: UNBOUND,
    channel_account_id: provisional.account.id,
    pay_way: 'QR_CASHIER',
    expires_at,
    code_url: cashierUrl(gw, id),
    // Nothing to ask a channel until a wallet binds it; the one check due is its expiry.
    next_check_at: expires_at,
    payer_json: null,
  });
  const retry = await insertUnlessRetry(gw, payment);
  if (retry) return { created: false, payment: retry };
  gw.metrics.payments_created.inc({ channel: 'cashier', pay_way: 'QR_CASHIER', outcome: 'accepted' });
  return { created: true, payment };
}

export function cashierUrl(gw: Gateway, payment_id: string): string {
  return `${gw.settings.public_url}/cashier/${payment_id}`;
}

/**
 * Ends an unbound cashier payment whose time is up (expiry job, merchant's close). The version
 * check makes it lose cleanly to a payer binding it at the same moment.
 */
export async function closeUnboundCashierPayment(
  gw: Gateway,
  payment: PaymentRecord,
): Promise<PaymentRecord | null> {
  const now = gw.clock.now_ms();
  const changes = {
    state: transition(payment.state, 'CLOSED'),
    channel_status: 'NOT_OPENED',
    ended_at: now,
    next_check_at: null,
  };
  const closed = await gw.store.transact(async (tx) => {
    if (!(await updatePaymentIfVersion(tx, payment.id, payment.version, changes, now))) return null;
    const after: PaymentRecord = { ...payment, ...changes, version: payment.version + 1, updated_at: now };
    const event_type = STATE_EVENTS.CLOSED;
    if (event_type) await recordPaymentEvent(gw, tx, event_type, after);
    return after;
  });
  if (closed) {
    gw.metrics.payment_transitions.inc({ from: payment.state, to: 'CLOSED', source: 'cashier' });
    gw.onEventsCommitted();
  }
  return closed;
}

/** The sync job's turn on an unbound cashier payment: close it at expiry, else wait for expiry. */
export async function syncUnboundCashierPayment(
  gw: Gateway,
  payment: PaymentRecord,
): Promise<'ended' | 'still_open'> {
  const now = gw.clock.now_ms();
  if (now >= payment.expires_at) {
    if (await closeUnboundCashierPayment(gw, payment)) return 'ended';
    // A payer bound it meanwhile: it is an ordinary payment now, checked on its own schedule.
    return 'still_open';
  }
  await gw.store.transact((tx) =>
    scheduleCheck(tx, payment.id, payment.expires_at, payment.check_attempts + 1),
  );
  return 'still_open';
}

export type WalletPayResult =
  /** The channel gave the payer what to pay with (payment.credential_json). */
  | { kind: 'pay'; payment: PaymentRecord }
  /** The payment has ended or its order's fate is not known yet: show its state. */
  | { kind: 'state'; payment: PaymentRecord }
  | { kind: 'refused'; code: ErrorCode; message: string; payment: PaymentRecord };

/**
 * The payer identified in a wallet pays a cashier payment: bind, ask the channel for the in-wallet
 * order, and hand back what the page needs. The same payer reopening the page gets the same order.
 */
export async function payWithWallet(
  gw: Gateway,
  payment_id: string,
  channel: ChannelName,
  payer: PayerIdentity,
): Promise<WalletPayResult> {
  const payer_json = JSON.stringify(payer);
  // Two rounds at most: the second after losing a race to bind (then the winner's binding is read).
  for (let round = 0; round < 2; round++) {
    const payment = await findPaymentById(gw.store.db, payment_id);
    if (payment?.pay_way !== 'QR_CASHIER') throw new AppError('PAYMENT_NOT_FOUND');
    if (isTerminal(payment.state)) return { kind: 'state', payment };
    if (payment.channel !== UNBOUND) {
      if (payment.channel !== channel || payment.payer_json !== payer_json) {
        return refusal('CASHIER_PAYMENT_TAKEN', payment);
      }
      return payment.credential_json ? { kind: 'pay', payment } : { kind: 'state', payment };
    }
    const now = gw.clock.now_ms();
    if (now >= payment.expires_at) return refusal('CASHIER_PAYMENT_ENDED', payment);
    const wallet = (await acceptedWallets(gw, payment.merchant_id)).find((w) => w.channel === channel);
    const adapter = channelAdapter(channel);
    if (!wallet || !adapter) return refusal('CASHIER_WALLET_NOT_ACCEPTED', payment);

    const binding = {
      channel,
      channel_account_id: wallet.account.id,
      payer_json,
      next_check_at: nextQueryAt(now, 0, payment.expires_at),
    };
    const bound_ok = await gw.store.transact((tx) =>
      bindCashierPaymentIfVersion(tx, payment.id, payment.version, binding, now),
    );
    if (!bound_ok) continue;
    const bound: PaymentRecord = { ...payment, ...binding, version: payment.version + 1, updated_at: now };
    const sent = await sendToChannel(
      gw,
      bound,
      adapter,
      wallet.account,
      IN_WALLET_PAY_WAY[channel],
      { payer },
      { keepCreatedWhenRefused: isIdentityRefusal },
    );
    if (sent.outcome.kind === 'refused' && isIdentityRefusal(sent.outcome.channel_code)) {
      // Nothing exists at the channel: unbind, so the payer can authorise again.
      await gw.store.transact((tx) =>
        bindCashierPaymentIfVersion(
          tx,
          bound.id,
          bound.version,
          {
            channel: UNBOUND,
            channel_account_id: bound.channel_account_id,
            payer_json: null,
            next_check_at: bound.expires_at,
          },
          gw.clock.now_ms(),
        ),
      );
      const code: IdentityFailureCode = 'PAYER_AUTH_CODE_REUSED';
      await recordIdentityFailure(gw, payment_id, code, sent.outcome.message);
      return refusal(code, payment);
    }
    if (sent.payment.credential_json && !isTerminal(sent.payment.state)) {
      return { kind: 'pay', payment: sent.payment };
    }
    return { kind: 'state', payment: sent.payment };
  }
  const payment = await findPaymentById(gw.store.db, payment_id);
  if (!payment) throw new AppError('PAYMENT_NOT_FOUND');
  return refusal('CASHIER_PAYMENT_TAKEN', payment);
}

/**
 * Channel refusals of an in-wallet order that mean the payer's identity code was not good
 * (UnionPay checks its userAuthCode only when the order is made).
 */
const IDENTITY_REFUSAL_CODES = new Set(['USER_AUTH_CODE_REUSED']);

function isIdentityRefusal(channel_code: string): boolean {
  return IDENTITY_REFUSAL_CODES.has(channel_code);
}

function refusal(code: ErrorCode, payment: PaymentRecord): WalletPayResult {
  return { kind: 'refused', code, message: ERROR_CATALOGUE[code].message, payment };
}

/**
 * Tells the merchant that a payer could not be identified (typed, with the wallet's reason).
 * The payment stays open: the payer may try again until it expires.
 */
export async function recordIdentityFailure(
  gw: Gateway,
  payment_id: string,
  code: ErrorCode,
  detail: string,
): Promise<boolean> {
  const recorded = await gw.store.transact(async (tx) => {
    const payment = await findPaymentById(tx, payment_id);
    if (!payment) return false;
    const told = await countPaymentEvents(tx, payment_id, PAYER_IDENTITY_FAILED_EVENT);
    if (told >= IDENTITY_FAILURE_EVENTS_PER_PAYMENT_MAX) return false;
    const message = `${ERROR_CATALOGUE[code].message} (${detail})`.slice(0, 500);
    return recordPaymentIssueEvent(gw, tx, PAYER_IDENTITY_FAILED_EVENT, payment, String(told + 1), {
      code,
      message,
    });
  });
  gw.metrics.payer_identity_failures.inc({ code });
  if (recorded) gw.onEventsCommitted();
  return recorded;
}
