import type { ChannelAccount, ChannelAdapter } from '../types.ts';
import { downloadBill } from './bill.ts';
import { parseUnionpayConfig, type UnionpayConfig } from './config.ts';
import { parseUnionpayNotification, unionpayNotificationReply } from './notification.ts';
import { unionpayPayerAuthorization } from './payer-auth.ts';
import { closePayment, createPayment, PAY_WAYS, queryPayment } from './payment.ts';
import { queryRefund, refund } from './refund.ts';
import { reversePayment } from './reverse.ts';

/**
 * UnionPay ACP 5.1.0 (全渠道, Cloud QuickPass QR flows), direct merchant. Every request is signed
 * with the merchant's certificate key; every reply and notification is trusted only after its
 * embedded signing certificate chains to the configured UnionPay root and middle and its
 * signature verifies (transport.ts, verify.ts).
 */
function configOf(account: ChannelAccount): UnionpayConfig {
  return parseUnionpayConfig(account.config);
}

export const unionpayAdapter: ChannelAdapter = {
  channel: 'unionpay',
  pay_ways: PAY_WAYS,
  validateConfig(config) {
    parseUnionpayConfig(config);
  },
  createPayment: (ctx, account, payment) => createPayment(ctx, configOf(account), payment),
  queryPayment: (ctx, account, payment_id) => queryPayment(ctx, configOf(account), payment_id),
  closePayment: (ctx, account, payment_id) => closePayment(ctx, configOf(account), payment_id),
  async parseNotification(ctx, account, request) {
    return parseUnionpayNotification(ctx, configOf(account), request);
  },
  notificationReply: unionpayNotificationReply,
  reversePayment: (ctx, account, payment_id) => reversePayment(ctx, configOf(account), payment_id),
  refund: (ctx, account, request) => refund(ctx, configOf(account), request),
  queryRefund: (ctx, account, request) => queryRefund(ctx, configOf(account), request),
  downloadBill: (ctx, account, bill_date) => downloadBill(ctx, configOf(account), bill_date),
  payer_authorization: unionpayPayerAuthorization(configOf),
};
