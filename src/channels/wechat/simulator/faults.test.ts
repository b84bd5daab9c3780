import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../domain/clock.ts';
import { SeededRandom } from '../../../domain/random.ts';
import { closeHttpAgents } from '../../http-client.ts';
import type { ChannelAccount, ChannelContext, PaymentForChannel } from '../../types.ts';
import { wechatAdapter } from '../adapter.ts';
import {
  accountFor,
  type CaptureServer,
  fixedPlatformKeyFile,
  rsaPair,
  simMerchantOf,
  startCaptureServer,
  testMerchant,
} from '../testing.ts';
import { createWechatSimulator, type WechatSimulator } from './server.ts';

/**
 * Faults on demand through POST/DELETE /sim/faults (the shared FaultPlan): what each kind does to
 * the API and to notifications, and that a seeded run replays exactly.
 */
const T0_MS = Date.UTC(2025, 4, 20, 2, 0, 0);
const clock = new ManualClock(T0_MS);
const ctx: ChannelContext = { clock, random: new SeededRandom(71), timeout_ms: 1500 };
const keys = rsaPair();
const merchant = testMerchant(new SeededRandom(72), keys, '1900000710');
const key_file = fixedPlatformKeyFile();
const waits: number[] = [];

let sim: WechatSimulator;
let url: string;
let account: ChannelAccount;
let capture: CaptureServer;

beforeAll(async () => {
  sim = createWechatSimulator({
    clock,
    random: new SeededRandom(73),
    platformKeyFile: key_file,
    delay: async (ms) => {
      waits.push(ms);
    },
  });
  url = await sim.app.listen({ host: '127.0.0.1', port: 0 });
  sim.registerMerchant(simMerchantOf(merchant));
  account = accountFor(merchant, {
    url,
    public_key_id: sim.platformPublicKeyId,
    public_key_pem: sim.platformPublicKeyPem,
  });
  capture = await startCaptureServer();
});
afterAll(async () => {
  await sim.stop();
  await sim.app.close();
  await capture.close();
  closeHttpAgents();
});
beforeEach(async () => {
  await control('DELETE', '/sim/faults');
  capture.respond = () => 204;
  await sim.deliverDueNotifications();
  capture.requests.length = 0;
});

async function control(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) {
  const response = await fetch(`${url}${path}`, {
    method,
    ...(body !== undefined
      ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }
      : {}),
  });
  const text = await response.text();
  return {
    status: response.status,
    json: text === '' ? null : (JSON.parse(text) as Record<string, unknown>),
  };
}

let seq = 0;
function payment(): PaymentForChannel {
  seq++;
  return {
    id: `pay_fault_${String(seq).padStart(4, '0')}`,
    pay_way: 'WX_NATIVE',
    amount_fen: 10,
    subject: 'faults',
    expires_at_ms: clock.now_ms() + 86_400_000,
    channel_notify_url: `${capture.url}/notify`,
  };
}

async function createdAndPaid(): Promise<string> {
  const p = payment();
  expect((await wechatAdapter.createPayment(ctx, account, p)).kind).toBe('accepted');
  expect(sim.pay(p.id).ok).toBe(true);
  return p.id;
}

const ids = () => capture.requests.map((r) => (JSON.parse(r.body) as { id: string }).id);

describe('the control API', () => {
  it('adds, lists and clears rules; refuses malformed ones', async () => {
    expect((await control('POST', '/sim/faults', { kind: 'timeout', operation: 'query' })).status).toBe(201);
    expect((await control('GET', '/sim/faults')).json).toEqual({
      rules: [{ kind: 'timeout', operation: 'query' }],
    });
    const bad = await control('POST', '/sim/faults', { kind: 'explode', operation: '*' });
    expect(bad.status).toBe(400);
    expect(bad.json!.message).toMatch(/^kind must be one of/);
    expect((await control('DELETE', '/sim/faults')).status).toBe(204);
    expect((await control('GET', '/sim/faults')).json).toEqual({ rules: [] });
  });
});

describe('API faults', () => {
  it('latency_ms waits (through the injected delay) and then answers', async () => {
    await control('POST', '/sim/faults', {
      kind: 'latency_ms',
      operation: 'create',
      latency_ms: 1234,
      times: 1,
    });
    waits.length = 0;
    expect((await wechatAdapter.createPayment(ctx, account, payment())).kind).toBe('accepted');
    expect(waits).toEqual([1234]);
  });

  it('timeout: the order is made but the answer never comes: unknown, and query finds it', async () => {
    const p = payment();
    await control('POST', '/sim/faults', { kind: 'timeout', operation: 'create', order: p.id });
    const outcome = await wechatAdapter.createPayment({ ...ctx, timeout_ms: 300 }, account, p);
    expect(outcome).toMatchObject({ kind: 'unknown', reason: expect.stringMatching(/^timeout: /) });
    expect(await wechatAdapter.queryPayment(ctx, account, p.id)).toMatchObject({ status: 'NOT_PAID' });
  });

  it('http_500: an unsigned 5xx is no answer; system_error: signed SYSTEM_ERROR, nothing created', async () => {
    const a = payment();
    await control('POST', '/sim/faults', { kind: 'http_500', operation: 'create', order: a.id, times: 1 });
    expect(await wechatAdapter.createPayment(ctx, account, a)).toMatchObject({
      kind: 'unknown',
      reason: expect.stringContaining('HTTP 500 reply not verified'),
    });
    expect(sim.order(a.id)).toBeDefined();
    const b = payment();
    await control('POST', '/sim/faults', {
      kind: 'system_error',
      operation: 'create',
      order: b.id,
      times: 1,
    });
    expect(await wechatAdapter.createPayment(ctx, account, b)).toMatchObject({
      kind: 'unknown',
      reason: expect.stringContaining('HTTP 500 SYSTEM_ERROR'),
    });
    expect(sim.order(b.id)).toBeUndefined();
    // Counted rules retire: the next try goes through.
    expect((await wechatAdapter.createPayment(ctx, account, b)).kind).toBe('accepted');
  });
});

describe('notification faults', () => {
  it('duplicate_notification sends identical copies (same id, same body)', async () => {
    await control('POST', '/sim/faults', {
      kind: 'duplicate_notification',
      operation: 'notify',
      copies: 3,
      times: 1,
    });
    await createdAndPaid();
    await sim.deliverDueNotifications();
    expect(capture.requests).toHaveLength(3);
    expect(new Set(ids()).size).toBe(1);
    expect(new Set(capture.requests.map((r) => r.body)).size).toBe(1);
  });

  it('delay_notification holds it latency_ms on the injected clock', async () => {
    await control('POST', '/sim/faults', {
      kind: 'delay_notification',
      operation: 'notify',
      latency_ms: 10_000,
      times: 1,
    });
    await createdAndPaid();
    await sim.deliverDueNotifications();
    expect(capture.requests).toHaveLength(0);
    clock.advance(10_000);
    await sim.deliverDueNotifications();
    expect(capture.requests).toHaveLength(1);
  });

  it('withhold_notification keeps it until the control API releases it; drop never sends', async () => {
    const held = payment();
    await control('POST', '/sim/faults', {
      kind: 'withhold_notification',
      operation: 'notify',
      order: held.id,
    });
    await wechatAdapter.createPayment(ctx, account, held);
    sim.pay(held.id);
    const dropped = payment();
    await control('POST', '/sim/faults', {
      kind: 'drop_notification',
      operation: 'notify',
      order: dropped.id,
    });
    await wechatAdapter.createPayment(ctx, account, dropped);
    sim.pay(dropped.id);
    clock.advance(86_400_000);
    await sim.deliverDueNotifications();
    expect(capture.requests).toHaveLength(0);
    expect(sim.order(held.id)!.notifications).toMatchObject([{ state: 'withheld' }]);
    expect(sim.order(dropped.id)!.notifications).toMatchObject([{ state: 'dropped', attempts: 0 }]);
    expect((await control('POST', '/sim/notifications/release', { out_trade_no: held.id })).json).toEqual({
      released: 1,
    });
    await sim.deliverDueNotifications();
    expect(capture.requests).toHaveLength(1);
    expect(JSON.parse(capture.requests[0]!.body).id).toBe(sim.order(held.id)!.notifications[0]!.id);
  });

  it('reorder_notifications holds them and sends the newest first', async () => {
    await control('POST', '/sim/faults', {
      kind: 'reorder_notifications',
      operation: 'notify',
      latency_ms: 5_000,
      times: 3,
    });
    const order_ids = [await createdAndPaid(), await createdAndPaid(), await createdAndPaid()];
    await sim.deliverDueNotifications();
    expect(capture.requests).toHaveLength(0);
    clock.advance(5_000);
    await sim.deliverDueNotifications();
    const sent = ids();
    const expected = order_ids.map((id) => sim.order(id)!.notifications[0]!.id).reverse();
    expect(sent).toEqual(expected);
  });
});

describe('seeded replay', () => {
  it('two simulators with the same seed break the same requests', async () => {
    async function run(): Promise<string[]> {
      const local = new ManualClock(T0_MS);
      const s = createWechatSimulator({
        clock: local,
        random: new SeededRandom(99),
        platformKeyFile: key_file,
      });
      const u = await s.app.listen({ host: '127.0.0.1', port: 0 });
      s.registerMerchant(simMerchantOf(merchant));
      s.addFault({ kind: 'system_error', operation: 'query', probability: 0.5 });
      const acct = accountFor(merchant, {
        url: u,
        public_key_id: s.platformPublicKeyId,
        public_key_pem: s.platformPublicKeyPem,
      });
      const c: ChannelContext = { clock: local, random: new SeededRandom(98), timeout_ms: 1500 };
      const outcomes: string[] = [];
      for (let i = 0; i < 12; i++) {
        const q = await wechatAdapter.queryPayment(c, acct, 'pay_replay_0001');
        outcomes.push(q.kind === 'observed' ? q.status : 'unknown');
      }
      await s.app.close();
      return outcomes;
    }
    const first = await run();
    expect(first).toContain('unknown');
    expect(first).toContain('NOT_FOUND');
    expect(await run()).toEqual(first);
  });
});
