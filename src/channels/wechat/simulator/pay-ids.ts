import type { FastifyRequest } from 'fastify';
import { isRecord } from '../wire.ts';
import { type Answer, error, paramError } from './answers.ts';
import type { SimMerchant, SimSubMerchant } from './merchants.ts';
import type { SimOrder, SimOrderIds } from './orders.ts';

/**
 * Whose request it is, for both merchant modes: a direct merchant names itself (mchid, appid); a
 * service provider names itself (sp_mchid, sp_appid) and one of its sub-merchants (sub_mchid,
 * optionally sub_appid). The signer of the request must be the merchant, or the service provider.
 */
export const NO_AUTH = error(403, 'NO_AUTH', '服务商与子商户无受理关系');

export function subMerchantOf(merchant: SimMerchant, sub_mchid: string): SimSubMerchant | undefined {
  return merchant.sub_merchants.find((sub) => sub.sub_mchid === sub_mchid);
}

/** Null when the ids in a pay body are the signer's (and its sub-merchant's). */
export function checkPayIds(merchant: SimMerchant, ids: SimOrderIds, partner: boolean): Answer | null {
  const mchid_field = partner ? 'sp_mchid' : 'mchid';
  if (ids.mchid !== merchant.mchid)
    return paramError(mchid_field, 'differs from the mchid that signed the request');
  if (ids.appid !== merchant.appid) return error(400, 'APPID_MCHID_NOT_MATCH', 'appid和mch_id不匹配');
  if (!partner) return null;
  const sub = subMerchantOf(merchant, ids.sub_mchid!);
  if (!sub) return NO_AUTH;
  if (ids.sub_appid !== undefined && ids.sub_appid !== sub.sub_appid)
    return error(400, 'APPID_MCHID_NOT_MATCH', 'sub_appid和sub_mchid不匹配');
  return null;
}

/** The merchant named by a query string or close/reverse body: `{mchid}` or `{sp_mchid, sub_mchid}`. */
export function namedIds(
  source: unknown,
  merchant: SimMerchant,
  partner: boolean,
  location: 'body' | 'query',
): { ok: true; sub_mchid?: string } | { ok: false; answer: Answer } {
  const record = isRecord(source) ? source : {};
  const mchid_field = partner ? 'sp_mchid' : 'mchid';
  const mchid = record[mchid_field];
  if (typeof mchid !== 'string' || mchid === '')
    return { ok: false, answer: paramError(mchid_field, 'is required', location) };
  if (mchid !== merchant.mchid)
    return {
      ok: false,
      answer: paramError(mchid_field, 'differs from the mchid that signed the request', location),
    };
  if (!partner) return { ok: true };
  const sub_mchid = record.sub_mchid;
  if (typeof sub_mchid !== 'string' || sub_mchid === '')
    return { ok: false, answer: paramError('sub_mchid', 'is required', location) };
  if (!subMerchantOf(merchant, sub_mchid)) return { ok: false, answer: NO_AUTH };
  return { ok: true, sub_mchid };
}

/** Whether an order is visible to this signer through this endpoint family. */
export function ownsOrder(
  order: SimOrder | undefined,
  merchant: SimMerchant,
  sub_mchid: string | undefined,
): order is SimOrder {
  return order !== undefined && order.mchid === merchant.mchid && order.sub_mchid === sub_mchid;
}

export function queryOf(request: FastifyRequest): Record<string, unknown> {
  return request.query as Record<string, unknown>;
}
