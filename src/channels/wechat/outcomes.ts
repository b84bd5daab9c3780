import type { TradeObservation } from '../types.ts';
import { parseRfc3339 } from './time.ts';
import type { WechatCall } from './transport.ts';
import { readErrorBody, type Transaction, tradeStatusOf } from './wire.ts';

/** Small shared readers of verified answers, used by every operation. */
export type Answered = Extract<WechatCall, { kind: 'answered' }>;

/** Code and message of a verified error reply, or null when its body is not an error body. */
export function errorOf(answer: Answered): { code: string; message: string } | null {
  const error = readErrorBody(answer.json);
  return error ? { code: error.code, message: error.message } : null;
}

export function unknownFromAnswer(answer: Answered, what: string): { kind: 'unknown'; reason: string } {
  const error = errorOf(answer);
  return {
    kind: 'unknown',
    reason: error
      ? `${what}: HTTP ${answer.status} ${error.code}: ${error.message}`
      : `${what}: HTTP ${answer.status}`,
  };
}

/** A 4xx that says no (429 asks to slow down, which is not a no). */
export function isRefusalStatus(status: number): boolean {
  return status >= 400 && status < 500 && status !== 429;
}

export function observationOf(tx: Transaction): TradeObservation {
  const paid_at_ms = tx.success_time === undefined ? null : parseRfc3339(tx.success_time);
  return {
    status: tradeStatusOf(tx.trade_state),
    channel_status: tx.trade_state,
    ...(tx.transaction_id !== undefined ? { channel_trade_no: tx.transaction_id } : {}),
    ...(tx.amount?.total !== undefined ? { amount_fen: tx.amount.total } : {}),
    ...(paid_at_ms !== null ? { paid_at_ms } : {}),
  };
}
