import type { ChannelTradeStatus } from '../../domain/payment-state.ts';
import type { ChannelRefundStatus } from '../types.ts';

/**
 * ACP response codes and the one conversion of them into our trade status. The same two-digit
 * vocabulary appears as `respCode` (the answer to a request, or the result of a transaction in a
 * notification) and as `origRespCode` (a query's report of the original transaction's result).
 */

/**
 * Every code we act on, mapped once. 00 is success; 03/04/05 mean "in progress or unknown, query";
 * the failure codes say the transaction failed and nothing was taken; 34 is "no such transaction".
 * The remaining codes are about the request itself (format, signature, duplicates, limits) and
 * say nothing about a trade, so they are UNKNOWN. Meanings per ACP SDK samples; see the doc.
 */
export const RESP_CODE_STATUS = {
  '00': 'PAID',
  '01': 'FAILED', // 交易失败
  '02': 'UNKNOWN', // 系统未开放或暂时关闭
  '03': 'PAYING', // 交易通讯超时，请发起查询交易
  '04': 'PAYING', // 交易状态未明，请查询对账结果
  '05': 'PAYING', // 交易已受理，请稍后查询交易结果
  '06': 'UNKNOWN', // 系统繁忙
  '10': 'UNKNOWN', // 报文格式错误
  '11': 'UNKNOWN', // 验证签名失败
  '12': 'UNKNOWN', // 重复交易
  '13': 'UNKNOWN', // 报文交易要素缺失
  '30': 'FAILED', // 交易未通过
  '31': 'FAILED', // 商户状态不正确
  '32': 'FAILED', // 无此交易权限
  '33': 'FAILED', // 交易金额超限
  '34': 'NOT_FOUND', // 查无此交易
  '35': 'UNKNOWN', // 原交易不存在或状态不正确
  '36': 'UNKNOWN', // 与原交易信息不符
  '37': 'UNKNOWN', // 已超过最大查询次数或操作过于频繁
  '38': 'FAILED', // 风险受限
  '60': 'FAILED', // 交易失败，详情请咨询发卡行
  '61': 'FAILED', // 卡号无效
  '62': 'FAILED', // 发卡行不支持该商户
  '63': 'FAILED', // 卡状态不正确
  '64': 'FAILED', // 余额不足
  '65': 'FAILED', // 密码、有效期或 CVN2 有误
  '66': 'FAILED', // 持卡人身份信息或手机号不正确
  '67': 'FAILED', // 密码输入次数超限
  '71': 'FAILED', // 动态口令或短信验证码校验失败
  '73': 'FAILED', // 支付卡已超过有效期
  '77': 'FAILED', // 卡已被关闭或变更
  '99': 'UNKNOWN', // 通用错误
} as const satisfies Record<string, ChannelTradeStatus>;

export type RespCode = keyof typeof RESP_CODE_STATUS;

/** Our status for a respCode / origRespCode; a code we do not know is UNKNOWN, never a guess. */
export function tradeStatusOfCode(code: string | undefined): ChannelTradeStatus {
  return code !== undefined && Object.hasOwn(RESP_CODE_STATUS, code)
    ? RESP_CODE_STATUS[code as RespCode]
    : 'UNKNOWN';
}

/** A refund (or cancel) transaction's result in refund words, from the same classification. */
export const REFUND_STATUS_OF = {
  PAID: 'SUCCESS',
  PAYING: 'PROCESSING',
  NOT_PAID: 'PROCESSING',
  FAILED: 'ABNORMAL',
  CLOSED: 'CLOSED',
  REVERSED: 'CLOSED',
  NOT_FOUND: 'NOT_FOUND',
  UNKNOWN: 'UNKNOWN',
} as const satisfies Record<ChannelTradeStatus, ChannelRefundStatus>;

export function refundStatusOfCode(code: string | undefined): ChannelRefundStatus {
  return REFUND_STATUS_OF[tradeStatusOfCode(code)];
}

/**
 * Answers to a create, refund or cancel that do not prove nothing happened: in progress or
 * unknown (03/04/05), a duplicate of an earlier request of ours (12), busy or generic errors.
 * Anything else but 00 is a refusal.
 */
export const CODES_NOT_REFUSALS: ReadonlySet<string> = new Set(['03', '04', '05', '06', '12', '37', '99']);

export const RESP_SUCCESS = '00';
export const RESP_DUPLICATE = '12';
export const RESP_NOT_FOUND = '34';
/** File transfer: no file for that day. */
export const RESP_NO_FILE = '98';

/** A whole number of fen as ACP writes it (no sign, no leading zeros), or null. */
export function readFen(text: string | undefined): number | null {
  if (text === undefined || !/^(0|[1-9]\d{0,14})$/.test(text)) return null;
  const fen = Number(text);
  return Number.isSafeInteger(fen) ? fen : null;
}
