import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../domain/clock.ts';
import { SeededRandom } from '../../domain/random.ts';
import type { ChannelContext } from '../types.ts';
import { alipayAdapter } from './adapter.ts';
import { notifySignContent, signRsa2 } from './crypto.ts';
import { accountFor, readVector, readVectorText, rsaPair } from './testing.ts';

/**
 * Notifications refused or taken, with their exact outcomes. Forms are signed here with a key the
 * test holds, so a notification can be authentic yet wrong in every other way.
 */
const ctx: ChannelContext = {
  clock: new ManualClock(Date.UTC(2025, 4, 20)),
  random: new SeededRandom(5),
  timeout_ms: 1000,
};
const alipay = rsaPair();
const app = rsaPair();
const APP_ID = '2021000000000201';
const SELLER = '2088000000000201';
const account = accountFor('ca_n', {
  app_id: APP_ID,
  app_private_key_pem: app.private_key_pem,
  alipay_public_key_pem: alipay.public_key_pem,
  seller_id: SELLER,
});

function baseForm(): Record<string, string> {
  return {
    gmt_create: '2025-05-20 10:00:00',
    charset: 'utf-8',
    subject: '测试 coffee & tea',
    buyer_id: '2088102534368455',
    invoice_amount: '0.29',
    notify_id: '2025052000222100000000000000000001',
    fund_bill_list: '[{"amount":"0.29","fundChannel":"ALIPAYACCOUNT"}]',
    notify_type: 'trade_status_sync',
    trade_status: 'TRADE_SUCCESS',
    receipt_amount: '0.29',
    app_id: APP_ID,
    buyer_pay_amount: '0.29',
    seller_id: SELLER,
    gmt_payment: '2025-05-20 10:00:05',
    notify_time: '2025-05-20 10:00:06',
    version: '1.0',
    out_trade_no: 'pay_01JVNOTIFY1',
    total_amount: '0.29',
    trade_no: '2025052022001468450512505578',
    auth_app_id: APP_ID,
    point_amount: '0.00',
  };
}

async function signed(form: Record<string, string>, key = alipay.private_key_pem): Promise<string> {
  const sign = await signRsa2(notifySignContent(form, 'trade'), key);
  return new URLSearchParams({ ...form, sign, sign_type: 'RSA2' }).toString();
}

const parse = (raw_body: string) => alipayAdapter.parseNotification(ctx, account, { headers: {}, raw_body });

describe('trade notifications', () => {
  it('takes an authentic one: amount converted exactly, times in Beijing time', async () => {
    expect(await parse(await signed(baseForm()))).toEqual({
      kind: 'payment',
      out_trade_no: 'pay_01JVNOTIFY1',
      amount_fen: 29,
      notification_id: '2025052000222100000000000000000001',
      status: 'PAID',
      channel_status: 'TRADE_SUCCESS',
      channel_trade_no: '2025052022001468450512505578',
      paid_at_ms: Date.UTC(2025, 4, 20, 2, 0, 5),
    });
  });

  it('reports what Alipay says for amounts: the core compares it with its record', async () => {
    const outcome = await parse(await signed({ ...baseForm(), total_amount: '100000000.00' }));
    expect(outcome).toMatchObject({ kind: 'payment', amount_fen: 10_000_000_000 });
  });

  it('refuses a bad signature, a changed field, another key, and a missing sign', async () => {
    const good = await signed(baseForm());
    const changed = good.replace('total_amount=0.29', 'total_amount=0.30');
    expect(changed).not.toBe(good);
    const invalid = { kind: 'rejected', code: 'NOTIFY_SIGNATURE_INVALID' };
    expect(await parse(changed)).toMatchObject(invalid);
    expect(await parse(await signed(baseForm(), app.private_key_pem))).toMatchObject(invalid);
    expect(await parse(new URLSearchParams(baseForm()).toString())).toEqual({
      ...invalid,
      detail: 'no sign field',
    });
    const rsa1 = good.replace('sign_type=RSA2', 'sign_type=RSA');
    expect(await parse(rsa1)).toEqual({ ...invalid, detail: 'sign_type is not RSA2' });
  });

  it('refuses authentic notifications for another app or seller (NOTIFY_MISMATCH)', async () => {
    expect(await parse(await signed({ ...baseForm(), app_id: '2021000000000999' }))).toEqual({
      kind: 'rejected',
      code: 'NOTIFY_MISMATCH',
      detail: 'app_id is not this account',
    });
    expect(await parse(await signed({ ...baseForm(), seller_id: '2088000000000999' }))).toEqual({
      kind: 'rejected',
      code: 'NOTIFY_MISMATCH',
      detail: 'seller_id is not this account',
    });
    // Without seller_id configured, the seller is not compared.
    const { seller_id: _, ...no_seller } = account.config;
    const outcome = await alipayAdapter.parseNotification(ctx, accountFor('ca_n2', no_seller), {
      headers: {},
      raw_body: await signed({ ...baseForm(), seller_id: '2088000000000999' }),
    });
    expect(outcome.kind).toBe('payment');
  });

  it('refuses malformed forms (NOTIFY_MALFORMED)', async () => {
    const malformed = { kind: 'rejected', code: 'NOTIFY_MALFORMED' };
    expect(await parse('')).toMatchObject(malformed);
    expect(await parse('{"json":"body"}')).toMatchObject(malformed);
    const good = await signed(baseForm());
    expect(await parse(`${good}&app_id=${APP_ID}`)).toMatchObject(malformed);
    for (const total_amount of ['0.291', '-0.29', '1e2']) {
      expect(await parse(await signed({ ...baseForm(), total_amount }))).toEqual({
        ...malformed,
        detail: 'total_amount is not an amount',
      });
    }
    const { out_trade_no: _, ...no_order } = baseForm();
    expect(await parse(await signed(no_order))).toMatchObject(malformed);
  });

  it('maps every trade_status through the one map, unknown words to UNKNOWN', async () => {
    for (const [word, status] of [
      ['WAIT_BUYER_PAY', 'NOT_PAID'],
      ['TRADE_CLOSED', 'CLOSED'],
      ['TRADE_FINISHED', 'PAID'],
      ['TRADE_WHATEVER', 'UNKNOWN'],
    ]) {
      expect(await parse(await signed({ ...baseForm(), trade_status: word! }))).toMatchObject({
        status,
        channel_status: word,
      });
    }
  });

  it('reads a refund notice as a refund, and ignores other notify types', async () => {
    const refund = {
      ...baseForm(),
      out_biz_no: 'rf_01JV1',
      gmt_refund: '2025-05-20 11:00:00.123',
      refund_fee: '0.10',
    };
    expect(await parse(await signed({ ...refund, gmt_refund: '2025-05-20 11:00:00' }))).toEqual({
      kind: 'refund',
      out_refund_no: 'rf_01JV1',
      out_trade_no: 'pay_01JVNOTIFY1',
      notification_id: '2025052000222100000000000000000001',
      status: 'SUCCESS',
      channel_status: 'REFUND_SUCCESS',
      channel_refund_no: '2025052022001468450512505578',
      succeeded_at_ms: Date.UTC(2025, 4, 20, 3, 0, 0),
    });
    // A non-trade notification is signed with sign_type kept (rule A3).
    const form = { ...baseForm(), notify_type: 'servicemarket_order_notify', sign_type: 'RSA2' };
    const sign = await signRsa2(notifySignContent(form, 'gateway'), alipay.private_key_pem);
    expect(await parse(new URLSearchParams({ ...form, sign }).toString())).toEqual({
      kind: 'ignored',
      event_type: 'servicemarket_order_notify',
    });
  });

  it('the A2 vector verifies under its own key and is refused under ours', async () => {
    const v = readVector<{ inputs: { form: Record<string, string>; alipay_public_key_file: string } }>(
      'alipay-notify-trade.json',
    );
    const vector_account = accountFor('ca_v', {
      app_id: v.inputs.form.app_id!,
      app_private_key_pem: app.private_key_pem,
      alipay_public_key_pem: readVectorText(v.inputs.alipay_public_key_file),
    });
    const raw_body = new URLSearchParams(v.inputs.form).toString();
    expect(
      await alipayAdapter.parseNotification(ctx, vector_account, { headers: {}, raw_body }),
    ).toMatchObject({
      kind: 'payment',
      amount_fen: 10,
      out_trade_no: '20190815155618536-564-57',
    });
    expect(await parse(raw_body)).toMatchObject({ kind: 'rejected', code: 'NOTIFY_SIGNATURE_INVALID' });
  });

  it('replies exactly success, or fail', () => {
    expect(alipayAdapter.notificationReply(true)).toEqual({
      status: 200,
      content_type: 'text/plain; charset=utf-8',
      body: 'success',
    });
    expect(alipayAdapter.notificationReply(false).body).toBe('fail');
  });
});
