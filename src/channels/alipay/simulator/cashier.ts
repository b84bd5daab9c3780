import { escapeHtml } from '../../../domain/html.ts';
import { amountOfFen } from '../wire.ts';
import type { SimOrder } from './orders.ts';
import type { SimResult } from './results.ts';

/**
 * The pages the payer's browser sees when it follows a page-pay or wap-pay request to the
 * gateway: a cashier holding the trade, whose button pays it through the control API (as the
 * payer's confirmation in the Alipay cashier would), or an error page like Alipay's.
 */
export function cashierPage(order: SimOrder): string {
  const pay_path = `/sim/orders/${encodeURIComponent(order.out_trade_no)}/pay`;
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>支付宝 - 网上支付 安全快速！(simulator)</title></head>
<body>
<h1>支付宝收银台 (simulated)</h1>
<p id="subject">${escapeHtml(order.subject)}</p>
<p id="amount">¥ ${amountOfFen(order.total_fen)}</p>
<p id="out_trade_no">${escapeHtml(order.out_trade_no)}</p>
<p id="trade_status">${order.status}</p>
<form method="POST" action="${escapeHtml(pay_path)}"><button id="pay" type="submit">确认付款</button></form>
</body></html>
`;
}

export function errorPage(result: SimResult): string {
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>支付宝 - 错误 (simulator)</title></head>
<body><h1>错误</h1><p id="code">${escapeHtml(result.sub_code ?? result.code)}</p>
<p id="message">${escapeHtml(result.sub_msg ?? result.msg)}</p></body></html>
`;
}
