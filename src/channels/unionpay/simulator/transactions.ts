import { classifyPaymentCode } from '../../../domain/payment-code.ts';
import type { FaultRule } from '../../simulator-kit/faults.ts';
import {
  CURRENCY_CNY,
  JSAPI_TN_FIELD,
  JSAPI_USER_AUTH_FIELD,
  ORDER_ID_PATTERN,
  ORDER_REF_FIELD,
  TXN_BAR_CONSUME,
  TXN_CANCEL,
  TXN_JSAPI_CONSUME,
  TXN_QR_APPLY,
  TXN_QUERY,
  TXN_REFUND,
  type TxnKind,
} from '../constants.ts';
import type { AcpFields } from '../form.ts';
import { parseAcpTime, toAcpTime } from '../time.ts';
import { readFen } from '../wire.ts';
import type { SimCore } from './core.ts';
import type { SimMerchant } from './merchants.ts';
import type { SimPayWay, SimTxn } from './orders.ts';
import { reply } from './respond.ts';

/**
 * The back-end transactions the simulator plays (POST backTransReq.do), after the request was
 * authenticated: consume (QR apply 01/07, payment code 01/06, in-app 01/01), query (00), refund
 * (04) and cancel (31). Each returns the unsigned reply fields; the route signs them.
 *
 * A back transaction is answered 00 when accepted. Here refunds and cancels complete at once (a
 * query shows 00 right after); a payment code is charged at once unless a user_paying fault makes
 * the payer confirm first (05, then success or failure after `resolve_after_ms`).
 */
const USER_PAYING_DEFAULT_MS = 10_000;
const BACK_URL_CHARS_MAX = 512;

function sameKind(fields: Readonly<AcpFields>, kind: TxnKind): boolean {
  return (
    fields.txnType === kind.txnType &&
    fields.txnSubType === kind.txnSubType &&
    fields.bizType === kind.bizType
  );
}

function wayOf(fields: Readonly<AcpFields>): SimPayWay | null {
  if (sameKind(fields, TXN_QR_APPLY)) return 'qr';
  if (sameKind(fields, TXN_BAR_CONSUME)) return 'bar';
  if (sameKind(fields, TXN_JSAPI_CONSUME)) return 'jsapi';
  return null;
}

function checkBackUrl(value: string | undefined): boolean {
  if (value === undefined || value.length > BACK_URL_CHARS_MAX) return false;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** The problem code of the fields every transaction with an orderId needs, or null. */
function orderProblem(fields: Readonly<AcpFields>): string | null {
  if (!fields.orderId || !fields.txnTime) return '13';
  if (!ORDER_ID_PATTERN.test(fields.orderId) || parseAcpTime(fields.txnTime) === null) return '10';
  return null;
}

function newTxn(
  core: SimCore,
  merchant: SimMerchant,
  fields: Readonly<AcpFields>,
  codes: TxnKind,
  amount_fen: number,
): SimTxn {
  return {
    codes: { txnType: codes.txnType, txnSubType: codes.txnSubType, bizType: codes.bizType },
    mer_id: merchant.mer_id,
    order_id: fields.orderId!,
    txn_time: fields.txnTime!,
    kind: 'consume',
    amount_fen,
    state: 'awaiting_payer',
    resp_code: '05',
    resp_msg: '交易已受理，请稍后查询交易结果',
    created_at_ms: core.clock.now_ms(),
    refunded_fen: 0,
    cancelled: false,
  };
}

async function consume(
  core: SimCore,
  merchant: SimMerchant,
  fields: Readonly<AcpFields>,
  way: SimPayWay,
  rules: FaultRule[],
): Promise<AcpFields> {
  const problem = orderProblem(fields);
  if (problem) return reply(fields, problem);
  const amount_fen = readFen(fields.txnAmt);
  if (amount_fen === null || amount_fen < 1 || fields.currencyCode !== CURRENCY_CNY)
    return reply(fields, '10');
  if (!checkBackUrl(fields.backUrl)) return reply(fields, '13');
  if (core.txns.get(fields.orderId!)) return reply(fields, '12');
  if (!core.txns.hasRoom() || !core.notifier.hasRoom()) return reply(fields, '03');
  const txn: SimTxn = {
    ...newTxn(core, merchant, fields, fields as unknown as TxnKind, amount_fen),
    way,
    back_url: fields.backUrl!,
  };
  if (way === 'bar') {
    if (classifyPaymentCode(fields.qrNo ?? '') !== 'UP_BAR') return reply(fields, '61');
    const paying = rules.find((r) => r.kind === 'user_paying');
    if (paying) {
      txn.state = 'paying';
      txn.resolve_at_ms = core.clock.now_ms() + (paying.resolve_after_ms ?? USER_PAYING_DEFAULT_MS);
      txn.resolves_to = paying.resolves_to ?? 'success';
      core.txns.add(txn);
      return reply(fields, '05', { txnAmt: String(amount_fen) });
    }
    core.txns.add(txn);
    await core.succeed(txn);
    return reply(fields, '00', {
      txnAmt: String(amount_fen),
      currencyCode: CURRENCY_CNY,
      queryId: txn.query_id!,
    });
  }
  if (fields.payTimeout !== undefined) {
    const timeout_ms = parseAcpTime(fields.payTimeout);
    if (timeout_ms === null || timeout_ms <= core.clock.now_ms()) return reply(fields, '10');
    txn.pay_timeout_ms = timeout_ms;
  }
  if (way === 'jsapi') {
    const user_auth_code = fields[JSAPI_USER_AUTH_FIELD];
    if (!user_auth_code) return reply(fields, '13');
    // Each userAuthCode pays for one order: a second use is refused, as an unknown one is in strict mode.
    const refusal = core.useUserAuthCode(user_auth_code);
    if (refusal !== null) return { ...reply(fields, '01'), respMsg: refusal };
    txn.tn = core.newTn();
    core.txns.add(txn);
    return reply(fields, '00', { [JSAPI_TN_FIELD]: txn.tn });
  }
  txn.qr_code = core.newQrCode();
  core.txns.add(txn);
  return reply(fields, '00', { qrCode: txn.qr_code });
}

async function query(core: SimCore, merchant: SimMerchant, fields: Readonly<AcpFields>): Promise<AcpFields> {
  const problem = orderProblem(fields);
  if (problem) return reply(fields, problem);
  const txn = core.txns.get(fields.orderId!);
  // ACP finds a transaction by orderId and txnTime together.
  if (!txn || txn.mer_id !== merchant.mer_id || txn.txn_time !== fields.txnTime) return reply(fields, '34');
  await core.settle(txn);
  return reply(fields, '00', {
    origRespCode: txn.resp_code,
    origRespMsg: txn.resp_msg,
    txnAmt: String(txn.amount_fen),
    currencyCode: CURRENCY_CNY,
    ...(txn.query_id !== undefined ? { queryId: txn.query_id } : {}),
    ...(txn.done_at_ms !== undefined && txn.state === 'success'
      ? { settleDate: toAcpTime(txn.done_at_ms).slice(4, 8), settleAmt: String(txn.amount_fen) }
      : {}),
  });
}

/** Refund (04) or cancel (31) of a successful consume named by origQryId. */
async function reverseOrRefund(
  core: SimCore,
  merchant: SimMerchant,
  fields: Readonly<AcpFields>,
  kind: 'refund' | 'cancel',
): Promise<AcpFields> {
  const problem = orderProblem(fields);
  if (problem) return reply(fields, problem);
  const amount_fen = readFen(fields.txnAmt);
  if (amount_fen === null || amount_fen < 1 || !fields.origQryId) return reply(fields, '13');
  if (fields.backUrl !== undefined && !checkBackUrl(fields.backUrl)) return reply(fields, '10');
  if (core.txns.get(fields.orderId!)) return reply(fields, '12');
  if (!core.txns.hasRoom() || !core.notifier.hasRoom()) return reply(fields, '03');
  const original = core.txns.byQueryId(fields.origQryId);
  if (!original || original.mer_id !== merchant.mer_id || original.kind !== 'consume')
    return reply(fields, '35');
  if (original.state !== 'success' || original.cancelled) return reply(fields, '35');
  if (kind === 'cancel' && (original.refunded_fen > 0 || amount_fen !== original.amount_fen))
    return reply(fields, '36');
  if (kind === 'refund' && amount_fen > original.amount_fen - original.refunded_fen)
    return reply(fields, '33');
  const codes = kind === 'refund' ? TXN_REFUND : TXN_CANCEL;
  const txn: SimTxn = {
    ...newTxn(core, merchant, fields, codes, amount_fen),
    kind,
    orig_query_id: original.query_id!,
    orig_order_id: original.order_id,
    ...(fields.backUrl !== undefined ? { back_url: fields.backUrl } : {}),
    ...(fields[ORDER_REF_FIELD] !== undefined ? { req_reserved: fields[ORDER_REF_FIELD] } : {}),
  };
  core.txns.add(txn);
  if (kind === 'refund') original.refunded_fen += amount_fen;
  else original.cancelled = true;
  await core.succeed(txn);
  return reply(fields, '00', {
    txnAmt: String(amount_fen),
    queryId: txn.query_id!,
    origQryId: fields.origQryId,
    ...(txn.req_reserved !== undefined ? { [ORDER_REF_FIELD]: txn.req_reserved } : {}),
  });
}

export async function handleBackTrans(
  core: SimCore,
  merchant: SimMerchant,
  fields: Readonly<AcpFields>,
  rules: FaultRule[],
): Promise<AcpFields> {
  const way = wayOf(fields);
  if (way !== null) return consume(core, merchant, fields, way, rules);
  if (sameKind(fields, TXN_QUERY)) return query(core, merchant, fields);
  if (sameKind(fields, TXN_REFUND)) return reverseOrRefund(core, merchant, fields, 'refund');
  if (sameKind(fields, TXN_CANCEL)) return reverseOrRefund(core, merchant, fields, 'cancel');
  return reply(fields, '32');
}

/** The fault-plan operation name of a request, for per-operation faults. */
export function operationOf(fields: Readonly<AcpFields>): string {
  if (wayOf(fields) !== null) return 'create';
  if (sameKind(fields, TXN_QUERY)) return 'query';
  if (sameKind(fields, TXN_REFUND)) return 'refund';
  if (sameKind(fields, TXN_CANCEL)) return 'reverse';
  return 'other';
}
