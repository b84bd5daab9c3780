import type { ChannelTradeStatus } from '../../domain/payment-state.ts';
import type { ChannelRefundStatus } from '../types.ts';

/**
 * WeChat Pay APIv3 wire shapes (protocols.md §1.6–§1.8) and the one conversion of WeChat's trade
 * states into ours. Readers take `unknown` (parsed JSON from the network) and return a typed value
 * or null: nothing from the wire is trusted by its type alone.
 */

export interface Amount {
  total: number;
  currency?: string;
  payer_total?: number;
  payer_currency?: string;
}

/** POST /v3/pay/transactions/native (direct merchant). */
export interface NativePrepayRequest {
  appid: string;
  mchid: string;
  description: string;
  out_trade_no: string;
  notify_url: string;
  time_expire?: string;
  attach?: string;
  amount: { total: number; currency?: string };
  scene_info?: { payer_client_ip: string };
}

export interface NativePrepayResponse {
  code_url: string;
}

/** POST /v3/pay/transactions/out-trade-no/{out_trade_no}/close. */
export interface CloseRequest {
  mchid: string;
}

/** The query result and the plaintext of a TRANSACTION.* notification (direct or partner ids). */
export interface Transaction {
  appid?: string;
  mchid?: string;
  sp_appid?: string;
  sp_mchid?: string;
  sub_appid?: string;
  sub_mchid?: string;
  out_trade_no: string;
  trade_state: string;
  transaction_id?: string;
  trade_type?: string;
  trade_state_desc?: string;
  bank_type?: string;
  attach?: string;
  success_time?: string;
  payer?: { openid?: string; sp_openid?: string; sub_openid?: string };
  amount?: Partial<Amount>;
}

export interface NotificationResource {
  algorithm: string;
  original_type?: string;
  ciphertext: string;
  nonce: string;
  associated_data: string;
}

export interface NotificationEnvelope {
  id: string;
  create_time?: string;
  resource_type?: string;
  event_type: string;
  summary?: string;
  resource: NotificationResource;
}

/** Body of every non-2xx reply. */
export interface ErrorBody {
  code: string;
  message: string;
  detail?: unknown;
}

export const NOTIFICATION_ALGORITHM = 'AEAD_AES_256_GCM';
export const EVENT_TRANSACTION_SUCCESS = 'TRANSACTION.SUCCESS';

// ---------------------------------------------------------------------------------------------
// trade_state → ChannelTradeStatus

export type WechatTradeState =
  | 'SUCCESS'
  | 'REFUND'
  | 'NOTPAY'
  | 'CLOSED'
  | 'REVOKED'
  | 'USERPAYING'
  | 'PAYERROR';

/** Every trade_state WeChat documents, each mapped once. */
export const TRADE_STATE_MAP = {
  SUCCESS: 'PAID',
  // "转入退款": a refund started, so the payment itself went through.
  REFUND: 'PAID',
  NOTPAY: 'NOT_PAID',
  CLOSED: 'CLOSED',
  REVOKED: 'REVERSED',
  USERPAYING: 'PAYING',
  PAYERROR: 'FAILED',
} as const satisfies Record<WechatTradeState, ChannelTradeStatus>;

/** Our status for a WeChat trade_state; a word we do not know is UNKNOWN, never a guess. */
export function tradeStatusOf(trade_state: string): ChannelTradeStatus {
  return Object.hasOwn(TRADE_STATE_MAP, trade_state)
    ? TRADE_STATE_MAP[trade_state as WechatTradeState]
    : 'UNKNOWN';
}

// ---------------------------------------------------------------------------------------------
// Readers

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalString(record: Record<string, unknown>, name: string): string | undefined | null {
  const value = record[name];
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : null;
}

function isAmountNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** JSON.parse that answers undefined instead of throwing. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export function readPrepayResponse(value: unknown): NativePrepayResponse | null {
  if (!isRecord(value) || typeof value.code_url !== 'string' || value.code_url === '') return null;
  return { code_url: value.code_url };
}

export function readErrorBody(value: unknown): ErrorBody | null {
  if (!isRecord(value) || typeof value.code !== 'string' || value.code === '') return null;
  return {
    code: value.code,
    message: typeof value.message === 'string' ? value.message : '',
    ...(value.detail !== undefined ? { detail: value.detail } : {}),
  };
}

const TRANSACTION_OPTIONAL_STRINGS = [
  'appid',
  'mchid',
  'sp_appid',
  'sp_mchid',
  'sub_appid',
  'sub_mchid',
  'transaction_id',
  'trade_type',
  'trade_state_desc',
  'bank_type',
  'attach',
  'success_time',
] as const;

export function readTransaction(value: unknown): Transaction | null {
  if (!isRecord(value)) return null;
  const { out_trade_no, trade_state } = value;
  if (typeof out_trade_no !== 'string' || typeof trade_state !== 'string') return null;
  const tx: Transaction = { out_trade_no, trade_state };
  for (const name of TRANSACTION_OPTIONAL_STRINGS) {
    const text = optionalString(value, name);
    if (text === null) return null;
    if (text !== undefined) tx[name] = text;
  }
  // Direct transactions carry appid + mchid, partner ones sp_mchid + sub_mchid.
  const direct = tx.appid !== undefined && tx.mchid !== undefined;
  const partner = tx.sp_mchid !== undefined && tx.sub_mchid !== undefined;
  if (!direct && !partner) return null;
  if (value.payer !== undefined) {
    if (!isRecord(value.payer)) return null;
    const payer: NonNullable<Transaction['payer']> = {};
    for (const name of ['openid', 'sp_openid', 'sub_openid'] as const) {
      const id = optionalString(value.payer, name);
      if (id === null) return null;
      if (id !== undefined) payer[name] = id;
    }
    tx.payer = payer;
  }
  if (value.amount !== undefined) {
    if (!isRecord(value.amount)) return null;
    const amount: Partial<Amount> = {};
    for (const name of ['total', 'payer_total'] as const) {
      const n = value.amount[name];
      if (n === undefined) continue;
      if (!isAmountNumber(n)) return null;
      amount[name] = n;
    }
    for (const name of ['currency', 'payer_currency'] as const) {
      const text = optionalString(value.amount, name);
      if (text === null) return null;
      if (text !== undefined) amount[name] = text;
    }
    tx.amount = amount;
  }
  return tx;
}

export function readNotificationEnvelope(value: unknown): NotificationEnvelope | null {
  if (!isRecord(value) || !isRecord(value.resource)) return null;
  const { id, event_type } = value;
  if (typeof id !== 'string' || id === '' || typeof event_type !== 'string' || event_type === '') return null;
  const r = value.resource;
  if (typeof r.algorithm !== 'string' || typeof r.ciphertext !== 'string' || typeof r.nonce !== 'string')
    return null;
  // associated_data may be absent or empty in some events; both mean no AAD.
  const aad = optionalString(r, 'associated_data');
  const original_type = optionalString(r, 'original_type');
  const create_time = optionalString(value, 'create_time');
  const resource_type = optionalString(value, 'resource_type');
  const summary = optionalString(value, 'summary');
  if (
    aad === null ||
    original_type === null ||
    create_time === null ||
    resource_type === null ||
    summary === null
  ) {
    return null;
  }
  return {
    id,
    event_type,
    ...(create_time !== undefined ? { create_time } : {}),
    ...(resource_type !== undefined ? { resource_type } : {}),
    ...(summary !== undefined ? { summary } : {}),
    resource: {
      algorithm: r.algorithm,
      ciphertext: r.ciphertext,
      nonce: r.nonce,
      associated_data: aad ?? '',
      ...(original_type !== undefined ? { original_type } : {}),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Refunds (protocols.md §1.6, §1.7)

export const EVENT_REFUND_PREFIX = 'REFUND.';

/** The refund resource of POST /v3/refund/domestic/refunds, GET …/{out_refund_no}, and REFUND.* plaintext. */
export interface Refund {
  out_refund_no: string;
  refund_id?: string;
  out_trade_no?: string;
  transaction_id?: string;
  /** `status` in API replies, `refund_status` in notifications. */
  status: string;
  success_time?: string;
  mchid?: string;
  sp_mchid?: string;
  sub_mchid?: string;
  amount?: { refund?: number; total?: number; payer_refund?: number; payer_total?: number };
}

export type WechatRefundStatus = 'SUCCESS' | 'CLOSED' | 'PROCESSING' | 'ABNORMAL';

/** Every refund status WeChat documents, each mapped once. */
export const REFUND_STATUS_MAP = {
  SUCCESS: 'SUCCESS',
  CLOSED: 'CLOSED',
  PROCESSING: 'PROCESSING',
  ABNORMAL: 'ABNORMAL',
} as const satisfies Record<WechatRefundStatus, ChannelRefundStatus>;

export function refundStatusOf(status: string): ChannelRefundStatus {
  return Object.hasOwn(REFUND_STATUS_MAP, status)
    ? REFUND_STATUS_MAP[status as WechatRefundStatus]
    : 'UNKNOWN';
}

const REFUND_OPTIONAL_STRINGS = [
  'refund_id',
  'out_trade_no',
  'transaction_id',
  'success_time',
  'mchid',
  'sp_mchid',
  'sub_mchid',
] as const;

export function readRefund(value: unknown): Refund | null {
  if (!isRecord(value)) return null;
  const { out_refund_no } = value;
  const status = value.status ?? value.refund_status;
  if (typeof out_refund_no !== 'string' || out_refund_no === '' || typeof status !== 'string') return null;
  const refund: Refund = { out_refund_no, status };
  for (const name of REFUND_OPTIONAL_STRINGS) {
    const text = optionalString(value, name);
    if (text === null) return null;
    if (text !== undefined) refund[name] = text;
  }
  if (value.amount !== undefined) {
    if (!isRecord(value.amount)) return null;
    const amount: NonNullable<Refund['amount']> = {};
    for (const name of ['refund', 'total', 'payer_refund', 'payer_total'] as const) {
      const n = value.amount[name];
      if (n === undefined) continue;
      if (!isAmountNumber(n)) return null;
      amount[name] = n;
    }
    refund.amount = amount;
  }
  return refund;
}
