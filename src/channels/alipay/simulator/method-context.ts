import type { FaultRule } from '../../simulator-kit/faults.ts';
import { fenOfAmount } from '../wire.ts';
import type { SimApp } from './apps.ts';
import type { SimCore } from './core.ts';
import type { SimOrder } from './orders.ts';
import { invalidArguments, type SimResult } from './results.ts';

/** What every method handler gets: the authenticated caller, the business content, the faults. */
export interface Caller {
  app: SimApp;
  /** The merchant's app the call acts for: the ISV's merchant, or the app itself. */
  merchant_app_id: string;
  seller_id: string;
  notify_url?: string;
  return_url?: string;
  /** scheme://host of the simulator as the caller reached it (for URLs we hand out). */
  origin: string;
}

export interface MethodContext {
  core: SimCore;
  caller: Caller;
  biz: Readonly<Record<string, unknown>>;
  /** The faults taken for this request (user_paying and bill_mismatch are the handlers' to apply). */
  faults: readonly FaultRule[];
}

export type MethodHandler = (m: MethodContext) => Promise<SimResult>;

/** A non-empty string field of biz_content, or undefined. */
export function text(biz: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const value = biz[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** A positive amount field as fen, or the Invalid Arguments answer naming it. */
export function amountField(biz: Readonly<Record<string, unknown>>, name: string): number | SimResult {
  const value = text(biz, name);
  const fen = value === undefined ? null : fenOfAmount(value);
  if (fen === null || fen < 1) return invalidArguments('isv.invalid-parameter', `${name} 参数无效`);
  return fen;
}

/** The caller's order named by trade_no (which wins) or out_trade_no; another merchant's is absent. */
export async function findOrder(m: MethodContext): Promise<SimOrder | undefined> {
  const trade_no = text(m.biz, 'trade_no');
  const out_trade_no = text(m.biz, 'out_trade_no');
  const order =
    trade_no !== undefined
      ? m.core.orders.byTradeNo(trade_no)
      : out_trade_no !== undefined
        ? m.core.orders.get(out_trade_no)
        : undefined;
  if (!order || order.merchant_app_id !== m.caller.merchant_app_id) return undefined;
  await m.core.refresh(order);
  return order;
}
