import { createHash } from 'node:crypto';
import { failpoint } from '../boot/failpoints.ts';
import { channelAdapter } from '../channels/registry.ts';
import type { RefundForChannel } from '../channels/types.ts';
import { AppError } from '../domain/errors.ts';
import { newId } from '../domain/ids.ts';
import { paymentAmountProblem } from '../domain/money.ts';
import type { ChannelName } from '../domain/pay-way.ts';
import { nextQueryAt } from '../domain/query-schedule.ts';
import type { PaymentRecord } from '../storage/repositories/payments.ts';
import {
  countRefundsOfPayment,
  findRefundById,
  findRefundByNo,
  insertRefundIfNew,
  type RefundRecord,
  reserveRefundAmount,
  updateRefundIfVersion,
} from '../storage/repositories/refunds.ts';
import type { AppCredential } from './app-credentials.ts';
import { applyRefundObservation, type RefundApplyResult } from './apply-refund-observation.ts';
import { channelContext, type Gateway } from './gateway.ts';

export interface CreateRefundInput {
  merchant_refund_no: string;
  amount: number;
  reason?: string;
  notify_url?: string;
}

export const REFUNDS_PER_PAYMENT_MAX = 50;
/** How long a refund is asked about at the channel before it is left to the operator (ABNORMAL stays). */
const REFUND_CHECK_HORIZON_MS = 7 * 24 * 3600_000;

class RefundAmountExceeded extends Error {}

/**
 * Refunds part or all of a SUCCESS payment. The refund row and its reserved amount are committed
 * before the channel call, so racing refunds can never add up to more than the payment; a
 * refused refund releases its reservation; an unanswered one stays PROCESSING and is queried.
 */
export async function createRefund(
  gw: Gateway,
  app: AppCredential,
  payment: PaymentRecord,
  input: CreateRefundInput,
): Promise<{ created: boolean; refund: RefundRecord }> {
  // The reservation arithmetic below needs a positive whole amount: a negative one would give
  // reserved money back. The HTTP schema refuses such input; callers in-process meet it here.
  if (paymentAmountProblem(input.amount)) throw new AppError('AMOUNT_INVALID', undefined, 'amount');
  const request_hash = createHash('sha256')
    .update(
      JSON.stringify([
        payment.id,
        input.merchant_refund_no,
        input.amount,
        input.reason ?? null,
        input.notify_url ?? null,
      ]),
    )
    .digest('hex');
  const existing = await findRefundByNo(gw.store.db, app.app_id, input.merchant_refund_no);
  if (existing) return { created: false, refund: sameRefundOrThrow(existing, request_hash) };
  if (payment.state !== 'SUCCESS')
    throw new AppError(
      'PAYMENT_NOT_REFUNDABLE',
      `The payment is ${payment.state}; only SUCCESS payments can be refunded.`,
    );
  const adapter = channelAdapter(payment.channel as ChannelName);
  if (!adapter?.refund) {
    throw new AppError(
      'CAPABILITY_NOT_SUPPORTED',
      `Refunds through ${payment.channel} are not supported yet.`,
    );
  }
  const account = await gw.accounts.load(payment.channel_account_id);
  if (!account) throw new Error(`payment ${payment.id} has no channel account`);

  const now = gw.clock.now_ms();
  const refund: RefundRecord = {
    id: newId('refund', gw.clock, gw.random),
    payment_id: payment.id,
    merchant_id: payment.merchant_id,
    app_id: app.app_id,
    channel_account_id: payment.channel_account_id,
    channel: payment.channel,
    merchant_refund_no: input.merchant_refund_no,
    amount_fen: input.amount,
    reason: input.reason ?? null,
    notify_url: input.notify_url ?? null,
    state: 'PROCESSING',
    version: 0,
    request_hash,
    channel_refund_no: null,
    channel_status: null,
    failure_code: null,
    failure_message: null,
    succeeded_at: null,
    next_check_at: nextQueryAt(now, 0, now + REFUND_CHECK_HORIZON_MS),
    check_attempts: 0,
    created_at: now,
    updated_at: now,
  };
  let inserted: boolean;
  failpoint('refund.before_commit');
  try {
    inserted = await gw.store.transact(async (tx) => {
      if ((await countRefundsOfPayment(tx, payment.id)) >= REFUNDS_PER_PAYMENT_MAX)
        throw new AppError('REFUNDS_PER_PAYMENT_EXCEEDED');
      if (!(await reserveRefundAmount(tx, payment.id, input.amount))) throw new RefundAmountExceeded();
      // A concurrent request with this refund number: throwing rolls the reservation back too.
      if (!(await insertRefundIfNew(tx, refund))) throw new RefundNumberTaken();
      return true;
    });
  } catch (error) {
    if (error instanceof RefundNumberTaken) inserted = false;
    else if (error instanceof RefundAmountExceeded) {
      throw new AppError('REFUND_AMOUNT_EXCEEDS_PAYMENT', undefined, 'amount');
    } else throw error;
  }
  failpoint('refund.after_commit');
  if (!inserted) {
    const winner = await findRefundByNo(gw.store.db, app.app_id, input.merchant_refund_no);
    if (!winner) throw new Error('refund vanished after a unique conflict');
    return { created: false, refund: sameRefundOrThrow(winner, request_hash) };
  }

  failpoint('refund.before_channel_call');
  const outcome = await adapter.refund(channelContext(gw), account, refundForChannel(gw, refund, payment));
  failpoint('refund.after_channel_call');
  if (outcome.kind === 'observed') {
    const { kind: _kind, ...observation } = outcome;
    const applied = await applyRefundObservation(gw, refund.id, observation);
    if (applied.kind !== 'not_found') return { created: true, refund: applied.refund };
  } else if (outcome.kind === 'refused') {
    const applied = await closeRefusedRefund(gw, refund, outcome.channel_code, outcome.message);
    if (applied.kind !== 'not_found') return { created: true, refund: applied.refund };
  }
  // No answer: the refund stays PROCESSING and the sync job asks the channel.
  return { created: true, refund: (await findRefundById(gw.store.db, refund.id)) ?? refund };
}

class RefundNumberTaken extends Error {}

/** What the channel is told about a refund: the refund call and the refund query send the same. */
export function refundForChannel(
  gw: Gateway,
  refund: RefundRecord,
  payment: PaymentRecord,
): RefundForChannel {
  return {
    id: refund.id,
    payment_id: refund.payment_id,
    ...(payment.channel_trade_no ? { channel_trade_no: payment.channel_trade_no } : {}),
    amount_fen: refund.amount_fen,
    payment_amount_fen: payment.amount_fen,
    ...(refund.reason ? { reason: refund.reason } : {}),
    channel_notify_url: `${gw.settings.public_url}/v1/channel-notify/${refund.channel}/${refund.channel_account_id}`,
  };
}

/**
 * The channel refused the refund, so nothing moved: its reason is recorded on the refund, which
 * then closes (releasing its reservation) through the one writer of refund state.
 */
export async function closeRefusedRefund(
  gw: Gateway,
  refund: RefundRecord,
  channel_code: string,
  message: string,
): Promise<RefundApplyResult> {
  await gw.store.transact((tx) =>
    updateRefundIfVersion(
      tx,
      refund.id,
      refund.version,
      { failure_code: channel_code, failure_message: message },
      gw.clock.now_ms(),
    ),
  );
  return applyRefundObservation(gw, refund.id, { status: 'CLOSED', channel_status: channel_code });
}

function sameRefundOrThrow(existing: RefundRecord, request_hash: string): RefundRecord {
  if (existing.request_hash !== request_hash)
    throw new AppError('MERCHANT_REFUND_NO_REUSED', undefined, 'merchant_refund_no');
  return existing;
}
