import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedWechatMerchant } from '../src/demo/seed.ts';
import { AppError } from '../src/domain/errors.ts';
import { PaymuxClient } from '../src/sdk/client.ts';
import type { PaymentView } from '../src/services/payment-view.ts';
import { type DbKind, postgresAvailable } from './support/databases.ts';
import { type Harness, startHarness } from './support/harness.ts';

const pg_ok = await postgresAvailable();

type ErrorReply = { error: { code: string; param?: string; message: string; retryable: boolean } };

describe.each<DbKind>(['sqlite', 'postgres'])(
  'bad input is refused clearly and changes nothing (%s)',
  (kind) => {
    const skip = kind === 'postgres' && !pg_ok;
    let h: Harness;
    let seq = 0;
    const valid = () => ({
      merchant_order_no: `in-${kind}-${++seq}`,
      pay_way: 'WX_NATIVE',
      amount: 100,
      subject: 'Tea',
    });

    beforeAll(async () => {
      if (!skip) h = await startHarness(kind);
    });
    afterAll(async () => {
      if (!skip) await h.close();
    });

    const countPayments = async () =>
      Number(
        (
          await h.gateway.gw.store.db
            .selectFrom('payments')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );

    /** Sends raw bytes with the given headers; the signature is computed over exactly those bytes unless overridden. */
    async function raw(
      body: string,
      options: { headers?: Record<string, string>; sign?: boolean; content_type?: string } = {},
    ) {
      const signed = options.sign === false ? {} : h.client.signHeaders('POST', '/v1/payments', body);
      const res = await fetch(`${h.gateway_url}/v1/payments`, {
        method: 'POST',
        headers: {
          'content-type': options.content_type ?? 'application/json',
          ...signed,
          ...options.headers,
        },
        body,
      });
      return { status: res.status, body: (await res.json()) as ErrorReply };
    }

    async function expectRefused(
      result: { status: number; body: ErrorReply },
      status: number,
      code: string,
      param?: string,
    ) {
      expect(result.status).toBe(status);
      expect(result.body.error.code).toBe(code);
      if (param !== undefined) expect(result.body.error.param).toBe(param);
      expect(result.body.error.message.length).toBeGreaterThan(10);
    }

    it.skipIf(skip)(
      'refuses unsigned, wrongly signed, stale, replayed and unknown-app requests',
      async () => {
        const before = await countPayments();
        const body = JSON.stringify(valid());
        await expectRefused(await raw(body, { sign: false }), 401, 'AUTH_MISSING');
        await expectRefused(
          await raw(body, { headers: { 'paymux-signature': '0'.repeat(64) } }),
          401,
          'AUTH_SIGNATURE_INVALID',
        );
        // Signed with the right key over a different body.
        const other = h.client.signHeaders('POST', '/v1/payments', JSON.stringify(valid()));
        await expectRefused(await raw(body, { sign: false, headers: other }), 401, 'AUTH_SIGNATURE_INVALID');
        // Signed for another path.
        const wrong_path = h.client.signHeaders('POST', '/v1/payments?x=1', body);
        await expectRefused(
          await raw(body, { sign: false, headers: wrong_path }),
          401,
          'AUTH_SIGNATURE_INVALID',
        );
        const now = Math.floor(Date.now() / 1000);
        for (const skew of [-301, 301]) {
          const stale = new PaymuxClient({
            base_url: h.gateway_url,
            app_id: h.merchant.app_id,
            secret: h.merchant.app_secret,
            now_s: () => now + skew,
          });
          await expectRefused(
            await raw(body, { sign: false, headers: stale.signHeaders('POST', '/v1/payments', body) }),
            401,
            'AUTH_TIMESTAMP_SKEW',
          );
        }
        const stranger = new PaymuxClient({
          base_url: h.gateway_url,
          app_id: 'app_01ARZ3NDEKTSV4RRFFQ69G5FAV',
          secret: 'x',
        });
        await expectRefused(
          await raw(body, { sign: false, headers: stranger.signHeaders('POST', '/v1/payments', body) }),
          401,
          'AUTH_APP_UNKNOWN',
        );
        await expectRefused(
          await raw(body, { headers: { 'paymux-nonce': 'bad nonce!' } }),
          401,
          'AUTH_MISSING',
          'paymux-nonce',
        );

        // The same signed request twice: the second is a replay.
        const headers = h.client.signHeaders('POST', '/v1/payments', body);
        const first = await raw(body, { sign: false, headers });
        expect(first.status).toBe(201);
        await expectRefused(await raw(body, { sign: false, headers }), 401, 'AUTH_NONCE_REUSED');
        expect(await countPayments()).toBe(before + 1);
      },
    );

    it.skipIf(skip)('refuses malformed, oversized, mistyped and unknown-field bodies', async () => {
      const before = await countPayments();
      await expectRefused(await raw('{"merchant_order_no": "x", '), 400, 'REQUEST_MALFORMED');
      await expectRefused(
        await raw(JSON.stringify({ ...valid(), subject: 'x'.repeat(70_000) })),
        413,
        'REQUEST_BODY_TOO_LARGE',
      );
      await expectRefused(
        await raw(JSON.stringify(valid()), { content_type: 'text/plain' }),
        415,
        'REQUEST_UNSUPPORTED_MEDIA_TYPE',
      );
      await expectRefused(
        await raw(JSON.stringify({ ...valid(), amount_yuan: '1.00' })),
        400,
        'REQUEST_UNKNOWN_FIELD',
        'amount_yuan',
      );
      const { subject: _s, ...no_subject } = valid();
      await expectRefused(await raw(JSON.stringify(no_subject)), 400, 'REQUEST_INVALID', 'subject');
      await expectRefused(
        await raw(JSON.stringify({ ...valid(), merchant_order_no: 'has space' })),
        400,
        'REQUEST_INVALID',
        'merchant_order_no',
      );
      await expectRefused(
        await raw(JSON.stringify({ ...valid(), pay_way: 'BITCOIN' })),
        400,
        'REQUEST_INVALID',
        'pay_way',
      );
      await expectRefused(
        await raw(JSON.stringify({ ...valid(), pay_way: 'QR_CASHIER', expires_in_s: 59 })),
        400,
        'REQUEST_INVALID',
        'expires_in_s',
      );
      // A wallet the merchant has no channel account for.
      await expectRefused(
        await raw(JSON.stringify({ ...valid(), pay_way: 'ALI_QR' })),
        422,
        'NO_CHANNEL_ACCOUNT',
        'pay_way',
      );
      await expectRefused(
        await raw(JSON.stringify({ ...valid(), notify_url: 'ftp://x' })),
        400,
        'REQUEST_INVALID',
        'notify_url',
      );
      await expectRefused(await raw('[]'), 400, 'REQUEST_INVALID');
      for (const amount of ['0', '-1', '1.5', '0.01', '10000000001', '"100"', '1e30', 'null', 'true']) {
        const body = JSON.stringify(valid()).replace('"amount":100', `"amount":${amount}`);
        await expectRefused(await raw(body), 400, 'AMOUNT_INVALID', 'amount');
      }
      expect(await countPayments()).toBe(before);
    });

    it.skipIf(skip)('keeps one payment per merchant order number', async () => {
      const body = valid();
      const first = await h.client.request<PaymentView>('POST', '/v1/payments', body);
      expect(first.status).toBe(201);
      const retry = await h.client.request<PaymentView>('POST', '/v1/payments', body);
      expect(retry.status).toBe(200);
      expect(retry.body.id).toBe(first.body.id);
      const conflicting = await h.client.request<ErrorReply>('POST', '/v1/payments', {
        ...body,
        amount: 101,
      });
      expect(conflicting.status).toBe(409);
      expect(conflicting.body.error.code).toBe('MERCHANT_ORDER_NO_REUSED');
      // Concurrent creates with one order number: one payment.
      const race = valid();
      const results = await Promise.all(
        [1, 2, 3, 4, 5].map(() => h.client.request<PaymentView>('POST', '/v1/payments', race)),
      );
      expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
      expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    });

    it.skipIf(skip)('applies Idempotency-Key with Stripe semantics', async () => {
      const body = valid();
      const key = { 'idempotency-key': `key-${kind}-${seq}` };
      const first = await h.client.request<PaymentView>('POST', '/v1/payments', body, key);
      expect(first.status).toBe(201);
      const again = await h.client.request<PaymentView>('POST', '/v1/payments', body, key);
      expect(again.status).toBe(201);
      expect(again.body).toEqual(first.body);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(again.signature_valid).toBe(true);
      const other_body = await h.client.request<ErrorReply>('POST', '/v1/payments', valid(), key);
      expect(other_body.status).toBe(422);
      expect(other_body.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');

      // A request still holding its key (the first is in flight): 409, retryable.
      const now = Date.now();
      const in_flight = valid();
      const held_key = `held-${kind}-${seq}`;
      const { createHash } = await import('node:crypto');
      await h.gateway.gw.store.db
        .insertInto('idempotency_keys')
        .values({
          app_id: h.merchant.app_id,
          key: held_key,
          request_hash: createHash('sha256')
            .update(`POST /v1/payments\n${JSON.stringify(in_flight)}`)
            .digest('hex'),
          state: 'in_progress',
          response_status: null,
          response_body: null,
          locked_until: now + 60_000,
          created_at: now,
          expires_at: now + 86_400_000,
        })
        .execute();
      const busy = await h.client.request<ErrorReply>('POST', '/v1/payments', in_flight, {
        'idempotency-key': held_key,
      });
      expect(busy.status).toBe(409);
      expect(busy.body.error).toMatchObject({ code: 'IDEMPOTENCY_IN_PROGRESS', retryable: true });

      // Concurrent duplicates: one creates, the rest are told it is in progress or get its replay.
      const dup = valid();
      const dup_key = { 'idempotency-key': `dup-${kind}-${seq}` };
      const results = await Promise.all(
        [1, 2, 3, 4].map(() =>
          h.client.request<PaymentView & ErrorReply>('POST', '/v1/payments', dup, dup_key),
        ),
      );
      const created = results.filter((r) => r.status === 201);
      expect(created.length).toBeGreaterThanOrEqual(1);
      expect(new Set(created.map((r) => r.body.id)).size).toBe(1);
      for (const r of results.filter((r) => r.status !== 201))
        expect(r.body.error.code).toBe('IDEMPOTENCY_IN_PROGRESS');
      const bad_key = await h.client.request<ErrorReply>('POST', '/v1/payments', valid(), {
        'idempotency-key': 'has space',
      });
      expect(bad_key.body.error).toMatchObject({ code: 'REQUEST_INVALID', param: 'Idempotency-Key' });
    });

    it.skipIf(skip)('isolates merchants: another app cannot see or close a payment', async () => {
      const mine = await h.client.request<PaymentView>('POST', '/v1/payments', valid());
      const other = await seedWechatMerchant(h.gateway.gw, 'Other Shop', {
        url: h.sim_url,
        public_key_id: h.sim.platformPublicKeyId,
        public_key_pem: h.sim.platformPublicKeyPem,
      });
      const intruder = new PaymuxClient({
        base_url: h.gateway_url,
        app_id: other.app_id,
        secret: other.app_secret,
      });
      const read = await intruder.request<ErrorReply>('GET', `/v1/payments/${mine.body.id}`);
      expect(read.status).toBe(404);
      expect(read.body.error.code).toBe('PAYMENT_NOT_FOUND');
      const by_no = await intruder.request<ErrorReply>(
        'GET',
        `/v1/payments/by-order-no/${mine.body.merchant_order_no}`,
      );
      expect(by_no.status).toBe(404);
      const close = await intruder.request<ErrorReply>('POST', `/v1/payments/${mine.body.id}/close`);
      expect(close.status).toBe(404);
      expect((await h.client.request<PaymentView>('GET', `/v1/payments/${mine.body.id}`)).body.state).toBe(
        'PENDING',
      );
      // The other merchant's secret does not sign for this app either.
      const forged = new PaymuxClient({
        base_url: h.gateway_url,
        app_id: h.merchant.app_id,
        secret: other.app_secret,
      });
      expect((await forged.request<ErrorReply>('GET', `/v1/payments/${mine.body.id}`)).body.error.code).toBe(
        'AUTH_SIGNATURE_INVALID',
      );
    });

    it.skipIf(skip)(
      'never returns secrets, answers unknown routes from the catalogue, and signs errors',
      async () => {
        const res = await h.client.request<PaymentView>('POST', '/v1/payments', valid());
        const text = JSON.stringify(res.body);
        for (const secret of [h.merchant.app_secret, h.merchant.wechat.apiv3_key])
          expect(text).not.toContain(secret);
        expect(text).not.toContain('PRIVATE KEY');
        const missing = await h.client.request<ErrorReply>(
          'GET',
          '/v1/payments/pay_00000000000000000000000000',
        );
        expect(missing.status).toBe(404);
        expect(missing.body.error.code).toBe('PAYMENT_NOT_FOUND');
        expect(missing.signature_valid).toBe(true);
        const nowhere = await fetch(`${h.gateway_url}/v2/nothing`);
        expect(nowhere.status).toBe(404);
        expect(((await nowhere.json()) as ErrorReply).error.code).toBe('NOT_FOUND');
        const bad_id = await h.client.request<ErrorReply>('GET', '/v1/payments/not-an-id');
        expect(bad_id.body.error).toMatchObject({ code: 'REQUEST_INVALID' });
        expect(new AppError('INTERNAL_ERROR').retryable).toBe(true);
      },
    );

    it.skipIf(skip)('serves the OpenAPI document', async () => {
      const res = await fetch(`${h.gateway_url}/openapi.json`);
      const doc = (await res.json()) as { paths: Record<string, unknown> };
      expect(Object.keys(doc.paths)).toEqual(
        expect.arrayContaining([
          '/v1/payments',
          '/v1/payments/{id}',
          '/v1/payments/by-order-no/{merchant_order_no}',
          '/v1/payments/{id}/close',
        ]),
      );
      expect((await fetch(`${h.gateway_url}/docs/`)).status).toBe(200);
    });
  },
);
