import type { ChannelContext } from '../types.ts';
import type { UnionpayConfig } from './config.ts';
import { BACK_TRANS_PATH, TXN_QUERY } from './constants.ts';
import type { AcpFields } from './form.ts';
import { callUnionpay, describe } from './transport.ts';
import { RESP_NOT_FOUND, RESP_SUCCESS } from './wire.ts';

/**
 * The query transaction (00/00) for one transaction of ours, found by orderId and txnTime. The
 * reply's respCode is about the query; the transaction's own result is in origRespCode.
 */
export type TxnLookup =
  | { kind: 'found'; fields: AcpFields; orig_resp_code: string }
  | { kind: 'not_found' }
  | { kind: 'unknown'; reason: string };

export async function queryTransaction(
  ctx: ChannelContext,
  config: UnionpayConfig,
  order_id: string,
  txn_time: string,
): Promise<TxnLookup> {
  const call = await callUnionpay(ctx, config, BACK_TRANS_PATH, {
    ...TXN_QUERY,
    orderId: order_id,
    txnTime: txn_time,
  });
  if (call.kind === 'no_answer') return { kind: 'unknown', reason: call.reason };
  const fields = call.fields;
  if (fields.respCode === RESP_NOT_FOUND) return { kind: 'not_found' };
  if (fields.respCode !== RESP_SUCCESS) return { kind: 'unknown', reason: `query: ${describe(fields)}` };
  // A signed answer about some other order is still not an answer about this one.
  if (fields.orderId !== order_id) return { kind: 'unknown', reason: 'query reply is about another order' };
  const orig_resp_code = fields.origRespCode;
  if (!orig_resp_code) return { kind: 'unknown', reason: 'query reply has no origRespCode' };
  return { kind: 'found', fields, orig_resp_code };
}
