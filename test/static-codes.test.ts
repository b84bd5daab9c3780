import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/domain/clock.ts';
import { SeededRandom } from '../src/domain/random.ts';
import type { StaticCodeView } from '../src/services/static-codes.ts';
import { findPaymentById } from '../src/storage/repositories/payments.ts';
import { type Harness, startHarness } from './support/harness.ts';

/** Static merchant codes (码牌): the API, the payer's amount page, and the printable plate. */
describe('static codes', () => {
  const clock = new ManualClock(Date.parse('2026-11-27T09:00:00Z'));
  let h: Harness;
  let code: StaticCodeView;

  beforeAll(async () => {
    h = await startHarness('sqlite', { clock, random: new SeededRandom(5) });
    const res = await h.client.request<StaticCodeView>('POST', '/v1/static-codes', {
      name: '南山店 Till 1',
      notify_url: h.receiver.url,
    });
    expect(res.status).toBe(201);
    code = res.body;
  });
  afterAll(async () => {
    await h.close();
  });

  const form = (amount: string, path = new URL(code.url).pathname) =>
    fetch(`${h.gateway_url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'en' },
      body: new URLSearchParams({ amount }).toString(),
      redirect: 'manual',
    });

  it('is created, listed, and points at the gateway', async () => {
    expect(code.id).toMatch(/^sc_/);
    expect(code.status).toBe('active');
    expect(code.url).toBe(`${h.gateway.gw.settings.public_url}/c/${code.id}`);
    const list = await h.client.request<{ data: StaticCodeView[] }>('GET', '/v1/static-codes');
    expect(list.body.data.map((c) => c.id)).toContain(code.id);
  });

  it('refuses a code with a bad name or an unknown field, and changes nothing', async () => {
    const before = (await h.client.request<{ data: StaticCodeView[] }>('GET', '/v1/static-codes')).body.data
      .length;
    const empty = await h.client.request('POST', '/v1/static-codes', { name: '' });
    expect(empty.status).toBe(400);
    const extra = await h.client.request('POST', '/v1/static-codes', { name: 'x', colour: 'red' });
    expect(extra.status).toBe(400);
    const after = (await h.client.request<{ data: StaticCodeView[] }>('GET', '/v1/static-codes')).body.data
      .length;
    expect(after).toBe(before);
  });

  it('shows the payer an amount page with the merchant and store, in the language asked', async () => {
    const zh = await fetch(code.url.replace(h.gateway.gw.settings.public_url, h.gateway_url), {
      headers: { 'accept-language': 'zh-CN,zh;q=0.9' },
    });
    expect(zh.status).toBe(200);
    const text = await zh.text();
    expect(text).toContain('南山店 Till 1');
    expect(text).toContain('Test Shop');
    expect(text).toContain('输入金额');
    const en = await (await fetch(`${h.gateway_url}/c/${code.id}?lang=en`)).text();
    expect(en).toContain('Enter the amount');
  });

  it.each(['0', '0.001', '-1', '1e3', 'abc', '', '50000.01', '12.345', '１２'])(
    'refuses the typed amount "%s" with a clear message and makes no payment',
    async (typed) => {
      const before = await h.gateway.gw.store.db
        .selectFrom('payments')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      const res = await form(typed);
      expect(res.status).toBe(400);
      const text = await res.text();
      expect(text).toContain('data-code="STATIC_CODE_AMOUNT_INVALID"');
      expect(text).toContain('0.01 to 50000.00');
      const after = await h.gateway.gw.store.db
        .selectFrom('payments')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      expect(Number(after.n)).toBe(Number(before.n));
    },
  );

  it('turns a typed amount into a QR_CASHIER payment of the code and sends the payer to the cashier', async () => {
    const res = await form('12.50');
    expect(res.status).toBe(303);
    const location = res.headers.get('location') ?? '';
    const id = /^\/cashier\/(pay_\w+)$/.exec(location)?.[1];
    expect(id).toBeDefined();
    const payment = (await findPaymentById(h.gateway.gw.store.db, id!))!;
    expect(payment.pay_way).toBe('QR_CASHIER');
    expect(payment.amount_fen).toBe(1250);
    expect(payment.subject).toBe('南山店 Till 1');
    expect(payment.notify_url).toBe(h.receiver.url);
    expect(JSON.parse(payment.metadata_json!)).toEqual({ static_code_id: code.id });
    expect(payment.app_id).toBe(h.merchant.app_id);
  });

  it('draws a printable plate as SVG and PNG', async () => {
    const svg = await fetch(`${h.gateway_url}/c/${code.id}/plate.svg`);
    expect(svg.status).toBe(200);
    expect(svg.headers.get('content-type')).toContain('image/svg+xml');
    const text = await svg.text();
    expect(text).toContain('Test Shop');
    expect(text).toContain('南山店 Till 1');
    expect(text).toContain('微信支付');
    expect(text).toMatch(/<path d="M[\d.]+ [\d.]+h/);
    const png = await fetch(`${h.gateway_url}/c/${code.id}/plate.png`);
    expect(png.status).toBe(200);
    const bytes = Buffer.from(await png.arrayBuffer());
    expect(bytes.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(bytes.readUInt32BE(16)).toBe(1280);
  });

  it('stops taking payments once disabled', async () => {
    const other = (await h.client.request<StaticCodeView>('POST', '/v1/static-codes', { name: 'Old till' }))
      .body;
    const disabled = await h.client.request<StaticCodeView>(
      'POST',
      `/v1/static-codes/${other.id}/disable`,
      {},
    );
    expect(disabled.status).toBe(200);
    expect(disabled.body.status).toBe('disabled');
    const page = await fetch(`${h.gateway_url}/c/${other.id}?lang=en`);
    expect(page.status).toBe(404);
    expect(await page.text()).toContain('no longer in use');
    const pay = await form('1.00', `/c/${other.id}`);
    expect(pay.status).toBe(404);
    const unknown = await fetch(`${h.gateway_url}/c/sc_00000000000000000000000000`);
    expect(unknown.status).toBe(404);
  });
});
