import type { BillRow } from '../channels/types.ts';

/**
 * Does a bill row say the payment was paid / the refund went through? Each channel writes its own
 * status word into BillRow.channel_status; this reads those words. It lives here, not in the
 * adapters, only because BillRow has no normalised status yet (see docs/reconciliation.md).
 *   wechat    交易状态 SUCCESS for payments (REVOKED, … otherwise); 退款状态 SUCCESS for refunds
 *   alipay    the bill lists only finished business: 交易 (payment) and 退款 (refund)
 *   unionpay  "<CONSUME|REFUND|CANCEL>:<respCode>", 00 meaning done
 */
export function billRowSettled(channel: string, row: BillRow): boolean {
  switch (channel) {
    case 'wechat':
      return row.channel_status === 'SUCCESS';
    case 'alipay':
      return row.kind === 'payment' ? row.channel_status === '交易' : row.channel_status === '退款';
    case 'unionpay':
      return row.kind === 'payment'
        ? row.channel_status === 'CONSUME:00'
        : row.channel_status === 'REFUND:00' || row.channel_status === 'CANCEL:00';
    default:
      return row.channel_status === 'SUCCESS';
  }
}
