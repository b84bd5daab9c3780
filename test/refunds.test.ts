import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PaymentView } from '../src/services/payment-view.ts';
import type { RefundView } from '../src/services/refund-view.ts';
import { listEventsOfPayment } from '../src/storage/repositories/events.ts';
import { findPaymentById } from '../src/storage/repositories/payments.ts';
import { type DbKind, postgresAvailable } from './support/databases.ts';
import { type Harness, startHarness } from './support/harness.ts';

const pg_ok = await postgresAvailable();
type ErrorReply = { error: { code: string; param?: string } };

describe.each<DbKind>(['sqlite', 'postgres'])('refunds on %s', (kind) => {
  const skip = kind === 'postgres' && !pg_ok;
  let h: Harness;
  let seq = 0;

  beforeAll(async () => {
    if (!skip) h = await startHarness(kind);
  });
  afterAll(async () => {
    if (!skip) await h.close();
  });

  async function paidPayment(amount: number): Promise<PaymentView> {
    const res = await h.client.request<PaymentView>('POST', '/v1/payments', {
      merchant_order_no: `r-${kind}-${++seq}`,
      pay_way: 'WX_NATIVE',
      amount,
      subject: 'Shoes',
      notify_url: h.receiver.url,
    });
    expect(res.status).toBe(201);
    expect(h.sim.pay(res.body.id).ok).toBe(true);
    await h.sim.deliverDueNotifications();
    const paid = await h.client.request<PaymentView>('GET', `/v1/payments/${res.body.id}`);
    expect(paid.body.state).toBe('SUCCESS');
    return paid.body;
  }
  const refund = (payment_id: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    h.client.request<RefundView & ErrorReply>('POST', `/v1/payments/${payment_id}/refunds`, body, headers);

  it.skipIf(skip)('refunds in parts up to the payment, never past it', async () => {
    const p = await paidPayment(1000);
    const first = await refund(p.id, { merchant_refund_no: `rf-${seq}-a`, amount: 300, reason: 'size' });
    expect(first.status).toBe(201);
    expect(first.signature_valid).toBe(true);
    expect(['PROCESSING', 'SUCCESS']).toContain(first.body.state);
    const too_much = await refund(p.id, { merchant_refund_no: `rf-${seq}-b`, amount: 701 });
    expect(too_much.status).toBe(409);
    expect(too_much.body.error).toMatchObject({ code: 'REFUND_AMOUNT_EXCEEDS_PAYMENT', param: 'amount' });
    const rest = await refund(p.id, { merchant_refund_no: `rf-${seq}-c`, amount: 700 });
    expect(rest.status).toBe(201);
    const none_left = await refund(p.id, { merchant_refund_no: `rf-${seq}-d`, amount: 1 });
    expect(none_left.body.error.code).toBe('REFUND_AMOUNT_EXCEEDS_PAYMENT');
    // Same number and body: the same refund; other body: refused.
    const again = await refund(p.id, { merchant_refund_no: `rf-${seq}-a`, amount: 300, reason: 'size' });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    const conflict = await refund(p.id, { merchant_refund_no: `rf-${seq}-a`, amount: 200 });
    expect(conflict.body.error.code).toBe('MERCHANT_REFUND_NO_REUSED');
    const list = await h.client.request<{ data: RefundView[] }>('GET', `/v1/payments/${p.id}/refunds`);
    expect(list.body.data.map((r) => r.amount)).toEqual([300, 700]);
    expect((await findPaymentById(h.gateway.gw.store.db, p.id))!.refund_reserved_fen).toBe(1000);
  });

  it.skipIf(skip)('keeps racing refunds within the payment', async () => {
    const p = await paidPayment(1000);
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        refund(p.id, { merchant_refund_no: `race-${seq}-${i}`, amount: 300 }),
      ),
    );
    const accepted = results.filter((r) => r.status === 201);
    expect(accepted).toHaveLength(3);
    for (const r of results.filter((r) => r.status !== 201))
      expect(r.body.error.code).toBe('REFUND_AMOUNT_EXCEEDS_PAYMENT');
    expect((await findPaymentById(h.gateway.gw.store.db, p.id))!.refund_reserved_fen).toBe(900);
  });

  const settle = async (refund_id: string, status: 'SUCCESS' | 'ABNORMAL' | 'CLOSED') => {
    const res = await fetch(`${h.sim_url}/sim/refunds/${refund_id}/settle`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status }),
    });
    expect(res.status).toBe(200);
    await h.sim.deliverDueNotifications();
  };
  const refundState = async (id: string) =>
    (await h.client.request<RefundView>('GET', `/v1/refunds/${id}`)).body.state;

  it.skipIf(skip)('ends a refund on the channel notification and tells the merchant once', async () => {
    const p = await paidPayment(500);
    const r = await refund(p.id, { merchant_refund_no: `end-${seq}`, amount: 500 });
    expect(r.status).toBe(201);
    expect(r.body.state).toBe('PROCESSING');
    await settle(r.body.id, 'SUCCESS');
    expect(await refundState(r.body.id)).toBe('SUCCESS');
    // The notification again, and a query: still one event.
    await h.gateway.sync.drain();
    const types = (await listEventsOfPayment(h.gateway.gw.store.db, p.id)).map((e) => e.type);
    expect(types.filter((t) => t === 'refund.succeeded')).toHaveLength(1);
    await h.gateway.deliverer.drain();
    const delivered = h.receiver.received.filter((x) => x.body.includes(r.body.id));
    expect(delivered.map((x) => JSON.parse(x.body).type)).toEqual(['refund.succeeded']);
  });

  it.skipIf(skip)('releases the amount of a closed refund, keeps it for an abnormal one', async () => {
    const p = await paidPayment(400);
    const closed = await refund(p.id, { merchant_refund_no: `cl-${seq}`, amount: 400 });
    await settle(closed.body.id, 'CLOSED');
    expect(await refundState(closed.body.id)).toBe('CLOSED');
    expect((await findPaymentById(h.gateway.gw.store.db, p.id))!.refund_reserved_fen).toBe(0);
    const abnormal = await refund(p.id, { merchant_refund_no: `ab-${seq}`, amount: 400 });
    expect(abnormal.status).toBe(201);
    await settle(abnormal.body.id, 'ABNORMAL');
    expect(await refundState(abnormal.body.id)).toBe('ABNORMAL');
    expect((await findPaymentById(h.gateway.gw.store.db, p.id))!.refund_reserved_fen).toBe(400);
    expect((await refund(p.id, { merchant_refund_no: `more-${seq}`, amount: 1 })).body.error.code).toBe(
      'REFUND_AMOUNT_EXCEEDS_PAYMENT',
    );
    const types = (await listEventsOfPayment(h.gateway.gw.store.db, p.id)).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['refund.failed', 'refund.abnormal']));
  });

  it.skipIf(skip)('refuses refunds of unpaid payments and of other apps, and bad input', async () => {
    const unpaid = await h.client.request<PaymentView>('POST', '/v1/payments', {
      merchant_order_no: `u-${kind}-${++seq}`,
      pay_way: 'WX_NATIVE',
      amount: 100,
      subject: 'x',
    });
    const r = await refund(unpaid.body.id, { merchant_refund_no: `u-${seq}`, amount: 1 });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('PAYMENT_NOT_REFUNDABLE');
    for (const amount of [0, -1, 1.5]) {
      expect(
        (await refund(unpaid.body.id, { merchant_refund_no: `bad-${seq}`, amount })).body.error.code,
      ).toBe('AMOUNT_INVALID');
    }
    expect(
      (await refund(unpaid.body.id, { merchant_refund_no: `bad-${seq}`, amount: 1, extra: 1 })).body.error
        .code,
    ).toBe('REQUEST_UNKNOWN_FIELD');
    const missing = await h.client.request<ErrorReply>('GET', '/v1/refunds/rf_00000000000000000000000000');
    expect(missing.body.error.code).toBe('REFUND_NOT_FOUND');
  });
});
