import type { ChannelContext, CreateOutcome, PaymentForChannel, ReverseOutcome } from '../types.ts';
import type { WechatConfig } from './config.ts';
import { descriptionOf } from './prepay.ts';
import { parseBeijingCompact } from './time.ts';
import { callWechatV2 } from './v2-transport.ts';

/**
 * Payment codes over APIv2 XML (protocols.md §2.1–§2.3), for accounts configured with
 * `bar_protocol: v2`: /pay/micropay and /secapi/pay/reverse. The layers are read in order —
 * return_code (communication), our ids, result_code (business), err_code — and USERPAYING,
 * SYSTEMERROR and BANKERROR are never a failure.
 */
const UNKNOWN_CODES = new Set(['SYSTEMERROR', 'BANKERROR', 'ORDERPAID', 'OUT_TRADE_NO_USED']);

type Fields = Readonly<Record<string, string>>;

function v2Ids(config: WechatConfig): Record<string, string | undefined> {
  if (config.mode === 'direct') return { appid: config.appid, mch_id: config.mchid };
  return {
    appid: config.appid,
    mch_id: config.mchid,
    sub_appid: config.sub_appid,
    sub_mch_id: config.sub_mchid,
  };
}

/** Null when the reply is this account's. */
function foreignId(config: WechatConfig, fields: Fields): string | null {
  if (fields.mch_id !== config.mchid) return 'mch_id';
  if (fields.appid !== undefined && fields.appid !== config.appid) return 'appid';
  if (config.mode === 'partner' && fields.sub_mch_id !== config.sub_mchid) return 'sub_mch_id';
  return null;
}

export async function micropayV2(
  ctx: ChannelContext,
  config: WechatConfig,
  payment: PaymentForChannel,
): Promise<CreateOutcome> {
  const call = await callWechatV2(ctx, config, '/pay/micropay', {
    ...v2Ids(config),
    body: descriptionOf(payment.subject),
    out_trade_no: payment.id,
    total_fee: String(payment.amount_fen),
    fee_type: 'CNY',
    // Required by WeChat: the terminal's IP. Without one we say loopback rather than invent one.
    spbill_create_ip: payment.client_ip ?? '127.0.0.1',
    auth_code: payment.auth_code,
  });
  if (call.kind === 'no_answer') return { kind: 'unknown', reason: call.reason };
  const f = call.fields;
  if (f.return_code !== 'SUCCESS')
    return { kind: 'unknown', reason: `micropay: return_code ${f.return_code ?? 'missing'}` };
  const foreign = foreignId(config, f);
  if (foreign !== null) return { kind: 'unknown', reason: `micropay reply names another ${foreign}` };
  if (f.result_code === 'SUCCESS') {
    const amount_fen = Number(f.total_fee);
    if (
      f.out_trade_no !== payment.id ||
      !/^\d{1,12}$/.test(f.total_fee ?? '') ||
      f.transaction_id === undefined
    )
      return { kind: 'unknown', reason: 'micropay reply is about another order or incomplete' };
    const paid_at_ms = f.time_end === undefined ? null : parseBeijingCompact(f.time_end);
    return {
      kind: 'accepted',
      credential: {},
      channel_trade_no: f.transaction_id,
      observation: {
        status: 'PAID',
        channel_status: 'SUCCESS',
        channel_trade_no: f.transaction_id,
        amount_fen,
        ...(paid_at_ms !== null ? { paid_at_ms } : {}),
      },
    };
  }
  const code = f.err_code ?? '';
  if (code === 'USERPAYING')
    return {
      kind: 'accepted',
      credential: {},
      observation: { status: 'PAYING', channel_status: 'USERPAYING' },
    };
  if (UNKNOWN_CODES.has(code) || code === '')
    return { kind: 'unknown', reason: `micropay: ${code || 'no err_code'}` };
  return { kind: 'refused', channel_code: code, message: f.err_code_des ?? '' };
}

export async function reverseV2(
  ctx: ChannelContext,
  config: WechatConfig,
  payment_id: string,
): Promise<ReverseOutcome> {
  const call = await callWechatV2(
    ctx,
    config,
    '/secapi/pay/reverse',
    { ...v2Ids(config), out_trade_no: payment_id },
    { client_certificate: true },
  );
  if (call.kind === 'no_answer') return { kind: 'unknown', reason: call.reason };
  const f = call.fields;
  if (f.return_code !== 'SUCCESS')
    return { kind: 'unknown', reason: `reverse: return_code ${f.return_code ?? 'missing'}` };
  const foreign = foreignId(config, f);
  if (foreign !== null) return { kind: 'unknown', reason: `reverse reply names another ${foreign}` };
  // recall=Y: WeChat could not finish; the same reverse must be sent again.
  if (f.recall === 'Y') return { kind: 'retry' };
  if (f.result_code === 'SUCCESS') return { kind: 'reversed', channel_status: 'REVOKED' };
  const code = f.err_code ?? '';
  if (code === 'SYSTEMERROR' || code === 'USERPAYING') return { kind: 'retry' };
  if (code === '') return { kind: 'unknown', reason: 'reverse: FAIL without err_code' };
  return { kind: 'refused', channel_code: code, message: f.err_code_des ?? '' };
}
