import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock, systemClock } from '../../../domain/clock.ts';
import { SeededRandom } from '../../../domain/random.ts';
import { closeHttpAgents } from '../../http-client.ts';
import type { ChannelContext } from '../../types.ts';
import { wechatAdapter } from '../adapter.ts';
import {
  accountFor,
  type CaptureServer,
  headerRecord,
  rsaPair,
  simMerchantOf,
  startCaptureServer,
  testMerchant,
} from '../testing.ts';
import { NOTIFY_ATTEMPTS_MAX, NOTIFY_RETRY_DELAYS_MS } from './notifier.ts';
import { createWechatSimulator, type WechatSimulator } from './server.ts';

/**
 * WeChat's retry schedule, walked with a ManualClock: deliveries really go over loopback HTTP, but
 * time only moves when the test moves it, so 24 hours take milliseconds.
 */
const T0_MS = Date.UTC(2025, 4, 20, 2, 0, 0);
const S = 1000;
const M = 60 * S;
const H = 60 * M;
/** When each of the 16 attempts is due, counted from the payment. */
const ATTEMPT_OFFSETS_MS = [
  0,
  15 * S,
  30 * S,
  60 * S,
  4 * M,
  14 * M,
  34 * M,
  64 * M,
  94 * M,
  124 * M,
  184 * M,
  364 * M,
  544 * M,
  724 * M,
  1084 * M,
  1444 * M,
];

const clock = new ManualClock(T0_MS);
const random = new SeededRandom(21);
const merchant = testMerchant(new SeededRandom(22), rsaPair());
let sim: WechatSimulator;
let sim_url: string;
let capture: CaptureServer;

beforeAll(async () => {
  sim = createWechatSimulator({ clock, random, logger: false });
  sim.registerMerchant(simMerchantOf(merchant));
  sim_url = await sim.app.listen({ host: '127.0.0.1', port: 0 });
  capture = await startCaptureServer();
});
afterAll(async () => {
  await sim.stop();
  await sim.app.close();
  await capture.close();
  closeHttpAgents();
});
beforeEach(() => {
  capture.requests.length = 0;
});

let seq = 0;
/** Creates an order through the signed API (via the adapter) and pays it; returns its id. */
async function paidOrder(notify_url: string): Promise<string> {
  seq++;
  const id = `pay_notify_${seq}`;
  const account = accountFor(merchant, {
    url: sim_url,
    public_key_id: sim.platformPublicKeyId,
    public_key_pem: sim.platformPublicKeyPem,
  });
  const ctx: ChannelContext = { clock, random: new SeededRandom(seq), timeout_ms: 2000 };
  const created = await wechatAdapter.createPayment(ctx, account, {
    id,
    pay_way: 'WX_NATIVE',
    amount_fen: 100,
    subject: 'Tea',
    expires_at_ms: clock.now_ms() + 7 * 24 * H,
    channel_notify_url: notify_url,
  });
  expect(created.kind).toBe('accepted');
  expect(sim.pay(id).ok).toBe(true);
  return id;
}

describe('notification retries (ManualClock)', () => {
  it('schedule constants are WeChat’s: 15 gaps, 24 h 4 min in all', () => {
    expect(NOTIFY_ATTEMPTS_MAX).toBe(16);
    expect(NOTIFY_RETRY_DELAYS_MS.reduce((a, b) => a + b, 0)).toBe(24 * H + 4 * M);
  });

  it('retries an unacknowledged notification at each scheduled time, then gives up', async () => {
    clock.set(T0_MS);
    capture.respond = () => 500;
    const id = await paidOrder(`${capture.url}/notify`);
    const paid_at = clock.now_ms();
    for (let i = 0; i < ATTEMPT_OFFSETS_MS.length; i++) {
      const due = paid_at + ATTEMPT_OFFSETS_MS[i]!;
      if (i > 0) {
        // One millisecond early: nothing is sent.
        clock.set(due - 1);
        expect(await sim.deliverDueNotifications(), `attempt ${i + 1} early`).toMatchObject({ attempted: 0 });
      }
      clock.set(due);
      const report = await sim.deliverDueNotifications();
      expect(report, `attempt ${i + 1}`).toEqual({
        attempted: 1,
        delivered: 0,
        failed: 1,
        given_up: i === 15 ? 1 : 0,
      });
      expect(capture.requests).toHaveLength(i + 1);
      // Each attempt is signed afresh with the time it is sent.
      expect(capture.requests[i]!.headers['wechatpay-timestamp']).toBe(String(Math.floor(due / 1000)));
    }
    expect(sim.order(id)!.notifications).toEqual([
      {
        id: expect.any(String),
        event_type: 'TRANSACTION.SUCCESS',
        state: 'given_up',
        attempts: 16,
        next_at_ms: null,
        last_result: 'HTTP 500',
      },
    ]);
    // The same envelope every time, and each one verifies at the time it was sent.
    const bodies = new Set(capture.requests.map((r) => r.body));
    expect(bodies.size).toBe(1);
    const account = accountFor(merchant, {
      url: sim_url,
      public_key_id: sim.platformPublicKeyId,
      public_key_pem: sim.platformPublicKeyPem,
    });
    for (const [i, request] of capture.requests.entries()) {
      const at: ChannelContext = {
        clock: new ManualClock(paid_at + ATTEMPT_OFFSETS_MS[i]!),
        random,
        timeout_ms: 1000,
      };
      const outcome = await wechatAdapter.parseNotification(at, account, {
        headers: headerRecord(request.headers),
        raw_body: request.body,
      });
      expect(outcome).toMatchObject({ kind: 'payment', out_trade_no: id, status: 'PAID' });
    }
    clock.advance(7 * 24 * H);
    expect(await sim.deliverDueNotifications()).toEqual({
      attempted: 0,
      delivered: 0,
      failed: 0,
      given_up: 0,
    });
    expect(capture.requests).toHaveLength(16);
  });

  it('stops at the first 200 or 204', async () => {
    for (const ack of [200, 204]) {
      capture.requests.length = 0;
      // Far from the other tests' orders, so none of theirs falls due meanwhile.
      clock.set(T0_MS + (ack === 200 ? 100 : 200) * 24 * H);
      capture.respond = (_r, index) => (index < 2 ? 503 : ack);
      const id = await paidOrder(`${capture.url}/notify`);
      const paid_at = clock.now_ms();
      for (const offset of ATTEMPT_OFFSETS_MS.slice(0, 3)) {
        clock.set(paid_at + offset);
        await sim.deliverDueNotifications();
      }
      expect(sim.order(id)!.notifications[0]).toMatchObject({
        state: 'delivered',
        attempts: 3,
        next_at_ms: null,
        last_result: `HTTP ${ack}`,
      });
      clock.advance(48 * H);
      expect(await sim.deliverDueNotifications()).toMatchObject({ attempted: 0 });
      expect(capture.requests).toHaveLength(3);
    }
  });

  it('counts a refused connection as a failure and schedules the retry', async () => {
    clock.set(T0_MS + 400 * 24 * H);
    const dead = await startCaptureServer();
    const dead_url = `${dead.url}/notify`;
    await dead.close();
    const id = await paidOrder(dead_url);
    await sim.deliverDueNotifications();
    expect(sim.order(id)!.notifications[0]).toMatchObject({
      state: 'pending',
      attempts: 1,
      last_result: 'connection_refused',
      next_at_ms: clock.now_ms() + 15 * S,
    });
  });
});

describe('the real-time loop', () => {
  it('start() delivers within a few ticks; stop() ends the loop', async () => {
    const live = createWechatSimulator({ clock: systemClock, random, logger: false });
    live.registerMerchant(simMerchantOf(merchant));
    const url = await live.app.listen({ host: '127.0.0.1', port: 0 });
    try {
      capture.respond = () => 204;
      const account = accountFor(merchant, {
        url,
        public_key_id: live.platformPublicKeyId,
        public_key_pem: live.platformPublicKeyPem,
      });
      const ctx: ChannelContext = { clock: systemClock, random, timeout_ms: 2000 };
      const created = await wechatAdapter.createPayment(ctx, account, {
        id: 'pay_live_1',
        pay_way: 'WX_NATIVE',
        amount_fen: 1,
        subject: 'Live',
        expires_at_ms: Date.now() + H,
        channel_notify_url: `${capture.url}/live`,
      });
      expect(created.kind).toBe('accepted');
      live.start();
      expect(live.pay('pay_live_1').ok).toBe(true);
      const deadline = Date.now() + 3000;
      while (capture.requests.length === 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      expect(capture.requests.map((r) => r.url)).toEqual(['/live']);
      await live.stop();
      expect(live.order('pay_live_1')!.notifications[0]!.state).toBe('delivered');
    } finally {
      await live.stop();
      await live.app.close();
    }
  });
});
