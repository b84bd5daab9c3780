import { AppError } from '../domain/errors.ts';
import { newId, ulid } from '../domain/ids.ts';
import { yuanToFen } from '../domain/money.ts';
import type { PaymentRecord } from '../storage/repositories/payments.ts';
import {
  findStaticCode,
  insertStaticCode,
  type StaticCodeRecord,
} from '../storage/repositories/static-codes.ts';
import type { AppCredential } from './app-credentials.ts';
import { createPayment } from './create-payment.ts';
import type { Gateway } from './gateway.ts';

/**
 * Static merchant codes (码牌): a permanent QR code per merchant or store. The payer opens it in
 * any wallet and types the amount; that makes an ordinary QR_CASHIER payment of the code's app,
 * so the rest (identity, in-wallet order, events, reconciliation) is the cashier's.
 */

/** What a payer may type on a static code: CNY 0.01 to 50,000.00 (a till, not a wire transfer). */
export const STATIC_CODE_AMOUNT_MAX_FEN = 5_000_000;
/** A payment made on a static code may be paid within this long, like a till's open order. */
export const STATIC_CODE_PAYMENT_EXPIRY_S = 900;
export const STATIC_CODES_PER_APP_MAX = 500;

export interface StaticCodeView {
  id: string;
  object: 'static_code';
  name: string;
  status: string;
  notify_url: string | null;
  url: string;
  plate_svg_url: string;
  plate_png_url: string;
  created_at: string;
}

export function staticCodeView(code: StaticCodeRecord, public_url: string): StaticCodeView {
  const url = `${public_url}/c/${code.id}`;
  return {
    id: code.id,
    object: 'static_code',
    name: code.name,
    status: code.status,
    notify_url: code.notify_url,
    url,
    plate_svg_url: `${url}/plate.svg`,
    plate_png_url: `${url}/plate.png`,
    created_at: new Date(code.created_at).toISOString(),
  };
}

export async function createStaticCode(
  gw: Gateway,
  app: AppCredential,
  input: { name: string; notify_url?: string },
): Promise<StaticCodeRecord> {
  const code: StaticCodeRecord = {
    id: newId('static_code', gw.clock, gw.random),
    merchant_id: app.merchant_id,
    app_id: app.app_id,
    name: input.name,
    notify_url: input.notify_url ?? null,
    status: 'active',
    created_at: gw.clock.now_ms(),
  };
  await gw.store.transact((tx) => insertStaticCode(tx, code));
  return code;
}

/** The typed amount as fen, or a typed error the page shows beside the field. */
export function parseTypedAmount(typed: string): number {
  const fen = yuanToFen(typed.trim());
  if (fen === null || fen < 1 || fen > STATIC_CODE_AMOUNT_MAX_FEN) {
    throw new AppError('STATIC_CODE_AMOUNT_INVALID', undefined, 'amount');
  }
  return fen;
}

export async function activeStaticCode(gw: Gateway, id: string): Promise<StaticCodeRecord> {
  const code = /^sc_[0-9A-HJKMNP-TV-Z]{26}$/.test(id) ? await findStaticCode(gw.store.db, id) : undefined;
  if (code?.status !== 'active') throw new AppError('STATIC_CODE_NOT_FOUND');
  return code;
}

/** The payer typed an amount on a static code: a new QR_CASHIER payment of the code's app. */
export async function payStaticCode(
  gw: Gateway,
  code: StaticCodeRecord,
  typed_amount: string,
): Promise<PaymentRecord> {
  const amount = parseTypedAmount(typed_amount);
  const app = await gw.credentials.get(code.app_id);
  if (!app?.active) throw new AppError('STATIC_CODE_NOT_FOUND');
  const { payment } = await createPayment(gw, app, {
    // One code, many payers: each typed amount is its own order, numbered by the gateway.
    merchant_order_no: `SC-${ulid(gw.clock.now_ms(), gw.random)}`,
    pay_way: 'QR_CASHIER',
    amount,
    subject: code.name,
    expires_in_s: STATIC_CODE_PAYMENT_EXPIRY_S,
    metadata: { static_code_id: code.id },
    ...(code.notify_url ? { notify_url: code.notify_url } : {}),
  });
  return payment;
}
