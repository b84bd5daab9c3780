import { fenToYuan } from '../../../domain/money.ts';
import type { FaultRule } from '../../simulator-kit/faults.ts';
import { beijingDate, toBeijingDateTime } from '../time.ts';
import type { SimOrder } from './orders.ts';
import type { SimRefund } from './refunds.ts';

/**
 * The trade bill (bill_type=ALL) as WeChat writes it (protocols.md §1.7, vector W7): BOM, header,
 * one backtick-prefixed row per paid order and per settled refund of the Beijing day, then the
 * summary. `bill_mismatch` faults make a row disagree with the order: another amount, another
 * status, the row missing, or an extra row for an order that never existed.
 */
const HEADER = [
  '交易时间',
  '公众账号ID',
  '商户号',
  '特约商户号',
  '设备号',
  '微信订单号',
  '商户订单号',
  '用户标识',
  '交易类型',
  '交易状态',
  '付款银行',
  '货币种类',
  '应结订单金额',
  '代金券金额',
  '微信退款单号',
  '商户退款单号',
  '退款金额',
  '充值券退款金额',
  '退款类型',
  '退款状态',
  '商品名称',
  '商户数据包',
  '手续费',
  '费率',
  '订单金额',
  '申请退款金额',
  '费率备注',
];
const SUMMARY_HEADER = [
  '总交易单数',
  '应结订单总金额',
  '退款总金额',
  '充值券退款总金额',
  '手续费总金额',
  '订单总金额',
  '申请退款总金额',
];
/** 0.6%, WeChat's common rate, in fen per 1000 fen. */
const FEE_PER_MILLE = 6;

function feeOf(fen: number): number {
  return Math.round((fen * FEE_PER_MILLE) / 1000);
}

interface Line {
  cells: string[];
  settlement_fen: number;
  refund_fen: number;
  fee_fen: number;
  total_fen: number;
}

function paymentLine(order: SimOrder, amount_fen: number, state: string): Line {
  const fee_fen = feeOf(amount_fen);
  return {
    cells: [
      toBeijingDateTime(order.success_at_ms!),
      order.sub_appid ?? order.appid,
      order.mchid,
      order.sub_mchid ?? '0',
      '',
      order.transaction_id!,
      order.out_trade_no,
      order.openid ?? '',
      order.trade_type,
      state,
      'OTHERS',
      'CNY',
      fenToYuan(amount_fen),
      '0.00',
      '',
      '',
      '0.00',
      '0.00',
      '',
      '',
      order.description,
      order.attach ?? '',
      `${fenToYuan(fee_fen)}000`,
      '0.60%',
      fenToYuan(amount_fen),
      '0.00',
      '',
    ],
    settlement_fen: amount_fen,
    refund_fen: 0,
    fee_fen,
    total_fen: amount_fen,
  };
}

function refundLine(order: SimOrder, refund: SimRefund, amount_fen: number): Line {
  const fee_fen = -feeOf(amount_fen);
  return {
    cells: [
      toBeijingDateTime(refund.success_at_ms!),
      order.sub_appid ?? order.appid,
      order.mchid,
      order.sub_mchid ?? '0',
      '',
      order.transaction_id!,
      order.out_trade_no,
      order.openid ?? '',
      order.trade_type,
      'REFUND',
      'OTHERS',
      'CNY',
      '0.00',
      '0.00',
      refund.refund_id,
      refund.out_refund_no,
      fenToYuan(amount_fen),
      '0.00',
      'ORIGINAL',
      'SUCCESS',
      order.description,
      order.attach ?? '',
      `${fenToYuan(fee_fen)}000`,
      '0.60%',
      '0.00',
      fenToYuan(amount_fen),
      '',
    ],
    settlement_fen: 0,
    refund_fen: amount_fen,
    fee_fen,
    total_fen: 0,
  };
}

export interface BillScope {
  mchid: string;
  sub_mchid?: string;
  bill_date: string;
  /** The bill_mismatch faults of one order, taken from the plan. */
  faultsFor(out_trade_no: string): readonly FaultRule[];
}

export function tradeBillCsv(
  scope: BillScope,
  orders: Iterable<SimOrder>,
  refunds: Iterable<SimRefund>,
): string {
  const lines: Line[] = [];
  const by_order = new Map<string, SimOrder>();
  for (const order of orders) {
    if (order.mchid !== scope.mchid || order.sub_mchid !== scope.sub_mchid) continue;
    by_order.set(order.out_trade_no, order);
    if (order.success_at_ms === undefined || beijingDate(order.success_at_ms) !== scope.bill_date) continue;
    const faults = scope.faultsFor(order.out_trade_no).filter((rule) => rule.kind === 'bill_mismatch');
    const field = (name: FaultRule['bill_field']) => faults.some((rule) => rule.bill_field === name);
    if (field('missing')) continue;
    const amount_fen = order.amount_total + (field('amount') ? 1 : 0);
    const state = field('status') ? 'REVOKED' : order.trade_state === 'REVOKED' ? 'REVOKED' : 'SUCCESS';
    lines.push(paymentLine(order, amount_fen, state));
    if (field('extra')) {
      const ghost = {
        ...order,
        out_trade_no: `${order.out_trade_no}X`,
        transaction_id: `${order.transaction_id!.slice(0, -1)}9`,
      };
      lines.push(paymentLine(ghost, order.amount_total, 'SUCCESS'));
    }
  }
  for (const refund of refunds) {
    if (refund.status !== 'SUCCESS' || refund.success_at_ms === undefined) continue;
    if (beijingDate(refund.success_at_ms) !== scope.bill_date) continue;
    const order = by_order.get(refund.out_trade_no);
    if (order) lines.push(refundLine(order, refund, refund.amount_refund));
  }
  const sum = (pick: (line: Line) => number) =>
    fenToYuan(lines.reduce((total, line) => total + pick(line), 0));
  const out = [
    `\uFEFF${HEADER.join(',')}`,
    ...lines.map((line) => `\`${line.cells.join(',`')}`),
    SUMMARY_HEADER.join(','),
    `\`${[
      `${lines.length}`,
      sum((l) => l.settlement_fen),
      sum((l) => l.refund_fen),
      '0.00',
      `${sum((l) => l.fee_fen)}000`,
      sum((l) => l.total_fen),
      sum((l) => l.refund_fen),
    ].join(',`')}`,
  ];
  return `${out.join('\r\n')}\r\n`;
}
