import { fenToYuan, PAYMENT_AMOUNT_MAX_FEN, yuanToFen } from '../../domain/money.ts';
import type { ChannelTradeStatus } from '../../domain/payment-state.ts';
import type { ChannelRefundStatus } from '../types.ts';

/**
 * Alipay OpenAPI wire vocabulary (protocols.md §3.4, §3.5): method names, amounts in yuan, the one
 * map from trade_status to our words, the one map from refund_status, and the one map from
 * gateway codes to what a reply means. Readers take parsed JSON (`unknown`) and return typed
 * values or null: nothing from the wire is trusted by its type alone.
 */

export const METHOD = {
  precreate: 'alipay.trade.precreate',
  pay: 'alipay.trade.pay',
  create: 'alipay.trade.create',
  wap_pay: 'alipay.trade.wap.pay',
  page_pay: 'alipay.trade.page.pay',
  app_pay: 'alipay.trade.app.pay',
  query: 'alipay.trade.query',
  close: 'alipay.trade.close',
  cancel: 'alipay.trade.cancel',
  refund: 'alipay.trade.refund',
  refund_query: 'alipay.trade.fastpay.refund.query',
  bill_url: 'alipay.data.dataservice.bill.downloadurl.query',
  oauth_token: 'alipay.system.oauth.token',
} as const;
export type AlipayMethod = (typeof METHOD)[keyof typeof METHOD];

// ---------------------------------------------------------------------------------------------
// Amounts: Alipay speaks yuan with two decimals, range 0.01 to 100000000.00 (§3.1)

export const ALIPAY_AMOUNT_MIN_FEN = 1;
export const ALIPAY_AMOUNT_MAX_FEN = PAYMENT_AMOUNT_MAX_FEN;

/** Fen as Alipay's amount text ("0.01", "100000000.00"); throws outside Alipay's range. */
export function amountOfFen(fen: number): string {
  if (!Number.isSafeInteger(fen) || fen < ALIPAY_AMOUNT_MIN_FEN || fen > ALIPAY_AMOUNT_MAX_FEN)
    throw new RangeError('amount outside 0.01 to 100000000.00 yuan');
  return fenToYuan(fen);
}

/**
 * An amount Alipay sent ("88.88", "0.00", "100") as fen, exact: string arithmetic only, never a
 * float. Null for anything else (signs, exponents, a third decimal, more than the range).
 */
export function fenOfAmount(text: string): number | null {
  const fen = yuanToFen(text);
  if (fen === null || fen > ALIPAY_AMOUNT_MAX_FEN) return null;
  return fen;
}

// ---------------------------------------------------------------------------------------------
// trade_status → ChannelTradeStatus

export type AlipayTradeStatus = 'WAIT_BUYER_PAY' | 'TRADE_CLOSED' | 'TRADE_SUCCESS' | 'TRADE_FINISHED';

/** Every trade_status Alipay documents, each mapped once. */
export const TRADE_STATUS_MAP = {
  WAIT_BUYER_PAY: 'NOT_PAID',
  // Unpaid and closed (timeout, close, cancel), or paid and then refunded in full. A payment we
  // already hold as SUCCESS stays SUCCESS: the state machine allows nothing after it.
  TRADE_CLOSED: 'CLOSED',
  TRADE_SUCCESS: 'PAID',
  // Paid, and past the refund window: still paid.
  TRADE_FINISHED: 'PAID',
} as const satisfies Record<AlipayTradeStatus, ChannelTradeStatus>;

/** Our status for an Alipay trade_status; a word we do not know is UNKNOWN, never a guess. */
export function tradeStatusOf(trade_status: string): ChannelTradeStatus {
  return Object.hasOwn(TRADE_STATUS_MAP, trade_status)
    ? TRADE_STATUS_MAP[trade_status as AlipayTradeStatus]
    : 'UNKNOWN';
}

// ---------------------------------------------------------------------------------------------
// refund_status (fastpay.refund.query) → ChannelRefundStatus

/** Alipay documents one value; an absent refund_status means "not received, or failed". */
export const REFUND_STATUS_MAP = {
  REFUND_SUCCESS: 'SUCCESS',
} as const satisfies Record<string, ChannelRefundStatus>;
/** What an answered refund query without refund_status means. */
export const REFUND_STATUS_ABSENT: ChannelRefundStatus = 'NOT_FOUND';

export function refundStatusOf(refund_status: string | undefined): ChannelRefundStatus {
  if (refund_status === undefined || refund_status === '') return REFUND_STATUS_ABSENT;
  return Object.hasOwn(REFUND_STATUS_MAP, refund_status)
    ? REFUND_STATUS_MAP[refund_status as keyof typeof REFUND_STATUS_MAP]
    : 'UNKNOWN';
}

// ---------------------------------------------------------------------------------------------
// Gateway codes → what the reply means

/**
 * - success: done as asked;
 * - paying:  accepted, the payer is confirming (trade.pay 10003);
 * - unknown: no decision (service busy, system error): the state must be queried;
 * - refused: the gateway or the business rules said no; nothing was done.
 */
export type GatewayVerdict = 'success' | 'paying' | 'unknown' | 'refused';

export const GATEWAY_CODE_MAP = {
  '10000': 'success',
  '10003': 'paying',
  '20000': 'unknown',
  '20001': 'refused', // insufficient authorisation token permissions
  '40001': 'refused', // missing required parameter
  '40002': 'refused', // invalid arguments, e.g. isv.invalid-signature
  '40003': 'refused', // insufficient isv permissions
  '40004': 'refused', // business failed, with sub_code
  '40006': 'refused', // insufficient permissions
} as const satisfies Record<string, GatewayVerdict>;

/** Business sub_codes that say "busy, result unknown" even under code 40004. */
const SUB_CODES_UNKNOWN: ReadonlySet<string> = new Set([
  'ACQ.SYSTEM_ERROR',
  'aop.ACQ.SYSTEM_ERROR',
  'isp.unknow-error',
]);

export function verdictOf(result: GatewayResult): GatewayVerdict {
  if (result.sub_code !== undefined && SUB_CODES_UNKNOWN.has(result.sub_code)) return 'unknown';
  return Object.hasOwn(GATEWAY_CODE_MAP, result.code)
    ? GATEWAY_CODE_MAP[result.code as keyof typeof GATEWAY_CODE_MAP]
    : 'unknown';
}

// ---------------------------------------------------------------------------------------------
// Readers

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** JSON.parse that answers undefined instead of throwing. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The common part of every `*_response` object, and the rest of its fields. */
export interface GatewayResult {
  code: string;
  msg: string;
  sub_code?: string;
  sub_msg?: string;
  fields: Readonly<Record<string, unknown>>;
}

export function readGatewayResult(value: unknown): GatewayResult | null {
  if (!isRecord(value) || typeof value.code !== 'string' || value.code === '') return null;
  return {
    code: value.code,
    msg: typeof value.msg === 'string' ? value.msg : '',
    ...(typeof value.sub_code === 'string' ? { sub_code: value.sub_code } : {}),
    ...(typeof value.sub_msg === 'string' ? { sub_msg: value.sub_msg } : {}),
    fields: value,
  };
}

/** A string field of a result; undefined when absent, empty or not a string. */
export function field(result: GatewayResult, name: string): string | undefined {
  const value = result.fields[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** `code sub_code: sub_msg` for reasons and messages (no secrets: Alipay echoes none here). */
export function describeResult(result: GatewayResult): string {
  const sub = result.sub_code === undefined ? '' : ` ${result.sub_code}`;
  const text = result.sub_msg ?? result.msg;
  return `${result.code}${sub}${text === '' ? '' : `: ${text}`}`;
}

/** The code a refusal reports: the business sub_code when there is one. */
export function refusalCode(result: GatewayResult): string {
  return result.sub_code ?? result.code;
}
