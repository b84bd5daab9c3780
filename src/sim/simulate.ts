import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import { configureFailpoints, disableFailpoints, type FailpointName } from '../boot/failpoints.ts';
import { type GatewayRuntime, openGateway } from '../boot/open-gateway.ts';
import { createAlipaySimulator } from '../channels/alipay/simulator/server.ts';
import { orderIdOf } from '../channels/unionpay/order-id.ts';
import { createUnionpaySimulator } from '../channels/unionpay/simulator/server.ts';
import { KEYS, TEST_MER_ID } from '../channels/unionpay/testing.ts';
import { createWechatSimulator } from '../channels/wechat/simulator/server.ts';
import { rsaPair } from '../channels/wechat/testing.ts';
import { loadConfig } from '../config/env.ts';
import { ManualClock } from '../domain/clock.ts';
import { AppError } from '../domain/errors.ts';
import type { PayWay } from '../domain/pay-way.ts';
import { SeededRandom } from '../domain/random.ts';
import { DELIVERY_LEASE_MS, EventDeliverer } from '../jobs/event-delivery.ts';
import { SYNC_LEASE_MS } from '../jobs/payment-sync.ts';
import type { AppCredential } from '../services/app-credentials.ts';
import { type CreatePaymentInput, createPayment } from '../services/create-payment.ts';
import { type CreateRefundInput, createRefund } from '../services/create-refund.ts';
import type { Gateway } from '../services/gateway.ts';
import { syncPayment } from '../services/sync-payment.ts';
import { syncRefund } from '../services/sync-refund.ts';
import { createApp, createChannelAccount, createMerchant } from '../services/tenants.ts';
import { claimDueEvents } from '../storage/repositories/events.ts';
import { claimDueChecks, findPaymentByOrderNo } from '../storage/repositories/payments.ts';
import { claimDueRefundChecks } from '../storage/repositories/refunds.ts';
import { NotificationGate } from './notification-gate.ts';

/**
 * One seeded simulation of the gateway: one ManualClock and one SeededRandom per seed, the real
 * services over a SQLite file, the three channel simulators in this process with seeded faults
 * (5xx after processing — the lost reply —, system errors, payer confirmations, lost, duplicated,
 * late and reordered notifications), merchant requests retried as a merchant would, and crashes at
 * the named failpoints (src/boot/failpoints.ts): a crash drops the work in flight and reopens the
 * gateway on the same file. Then the clock runs through expiry and the sync schedule with the
 * faults gone, and the invariants of the product (docs/crash-safety.md) are checked.
 *
 * Determinism: everything the gateway does is driven from here one step at a time (the sync job's
 * and the deliverer's work is claimed one item at a time instead of in concurrent batches), and
 * channel notifications pass a gate that orders each concurrent batch. Ids drawn by concurrent
 * merchant-event deliveries use their own generator. The same seed gives the same result.
 */
export interface SimOptions {
  /** Merchant-side steps before recovery. */
  steps?: number;
  /** Chance that a failpoint hit crashes the gateway. */
  crash_probability?: number;
  /** Keep the temporary directory (for a failing seed). */
  keep_dir?: boolean;
}

export interface SimResult {
  seed: number;
  ok: boolean;
  violations: string[];
  stats: {
    payments: number;
    refunds: number;
    crashes: number;
    crash_points: Partial<Record<FailpointName | 'between_steps', number>>;
    states: Record<string, number>;
    refund_states: Record<string, number>;
    events_delivered: number;
  };
  /** sha256 of the final state (merchant numbers, states, amounts): equal for equal runs. */
  digest: string;
  dir?: string;
}

export const SIM_STEPS_DEFAULT = 60;
export const SIM_CRASH_PROBABILITY_DEFAULT = 0.015;
const START_MS = Date.parse('2026-03-02T01:00:00Z');
const QR_EXPIRY_S = 900;
const RECOVERY_ROUNDS_MAX = 60;
const SYNC_ITEMS_PER_ROUND_MAX = 500;
const CRASHES_PER_SEED_MAX = 12;

const QR_WAYS: PayWay[] = ['WX_NATIVE', 'ALI_QR', 'UP_QR'];
const CODE_WAYS: PayWay[] = ['WX_BAR', 'ALI_BAR', 'UP_BAR'];

class SimulatedCrash extends Error {
  override name = 'SimulatedCrash';
}

/** Keys are made once per process: key generation would dominate a seed's time. */
let shared: {
  dir: string;
  wechat_merchant: { private_key_pem: string; public_key_pem: string };
  alipay_app: { private_key_pem: string; public_key_pem: string };
} | null = null;
function sharedKeys() {
  if (!shared) {
    const dir = mkdtempSync(join(tmpdir(), 'paymux-sim-keys-'));
    mkdirSync(join(dir, 'unionpay'), { recursive: true });
    shared = { dir, wechat_merchant: rsaPair(), alipay_app: rsaPair() };
  }
  return shared;
}

/** An in-process merchant endpoint that records the events it was sent. */
async function startReceiver(): Promise<{
  app: FastifyInstance;
  url: string;
  events: Map<string, Set<string>>;
}> {
  const events = new Map<string, Set<string>>();
  const app = Fastify({ logger: false, forceCloseConnections: true });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_r, body, done) => done(null, body));
  app.post('/notify', async (request) => {
    const event = JSON.parse(String(request.body)) as { type: string; data: { object: { id: string } } };
    const id = event.data.object.id;
    if (!events.has(id)) events.set(id, new Set());
    events.get(id)!.add(event.type);
    return 'ok';
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url: `${url}/notify`, events };
}

function pick<T>(r: SeededRandom, items: readonly T[]): T {
  return items[r.nextUint32() % items.length]!;
}
function between(r: SeededRandom, lo: number, hi: number): number {
  return lo + (r.nextUint32() % (hi - lo + 1));
}

export async function runSeed(seed: number, options: SimOptions = {}): Promise<SimResult> {
  const steps = options.steps ?? SIM_STEPS_DEFAULT;
  const crash_p = options.crash_probability ?? SIM_CRASH_PROBABILITY_DEFAULT;
  const keys = sharedKeys();
  const dir = mkdtempSync(join(tmpdir(), `paymux-sim-${seed}-`));
  const clock = new ManualClock(START_MS);
  const driver = new SeededRandom(seed);
  const gw_random = new SeededRandom(seed ^ 0x5a5a5a5a);
  const delivery_random = new SeededRandom(seed ^ 0x3c3c3c3c);
  const failpoint_random = new SeededRandom(seed ^ 0x1f1f1f1f);
  const violations: string[] = [];
  const crash_points: SimResult['stats']['crash_points'] = {};
  let crashed = false;
  let crashes = 0;

  configureFailpoints({
    rules: [{ name: '*', action: 'crash', probability: crash_p }],
    // Once crashed, every later failpoint of the dead instance throws too: its in-flight work stops.
    chance: () => (crashed ? 0 : failpoint_random.nextFloat()),
    crash: (name) => {
      if (!crashed) {
        crashed = true;
        crash_points[name] = (crash_points[name] ?? 0) + 1;
      }
      throw new SimulatedCrash(name);
    },
  });

  const config = loadConfig({
    DATABASE_URL: join(dir, 'paymux.sqlite'),
    PAYMUX_DATA_DIR: dir,
    PAYMUX_LOG_LEVEL: 'silent',
    PAYMUX_PORT: '0',
    PAYMUX_SIMULATORS: 'off',
    // Long enough that a loaded machine never turns an answer into a timeout (which would make the
    // run depend on wall time); the simulators' faults here never hold a request open.
    PAYMUX_CHANNEL_TIMEOUT_MS: '20000',
  });
  const logger = pino({ level: 'silent' });
  const gate = new NotificationGate();
  const gate_url = await gate.listen();
  const receiver = await startReceiver();

  let runtime: GatewayRuntime | null = null;
  let deliverer: EventDeliverer;
  const open = async () => {
    crashed = false;
    runtime = await openGateway({ config, clock, random: gw_random, logger, start_jobs: false });
    runtime.gw.settings.public_url = gate_url;
    runtime.gw.settings.channel_timeout_ms = config.channel_timeout_ms;
    gate.target = await runtime.http.listen({ host: '127.0.0.1', port: 0 });
    gate.down = false;
    deliverer = new EventDeliverer({ ...runtime.gw, random: delivery_random });
  };
  const gw = (): Gateway => runtime!.gw;
  gate.afterEach = () => {
    if (crashed) gate.down = true;
  };

  const wechat = createWechatSimulator({
    clock,
    random: new SeededRandom(seed ^ 0x11111111),
    logger: false,
    platformKeyFile: join(keys.dir, 'wechat-platform-key.json'),
  });
  const alipay = createAlipaySimulator({
    clock,
    random: new SeededRandom(seed ^ 0x22222222),
    keyFile: join(keys.dir, 'alipay-key.json'),
  });
  const unionpay = createUnionpaySimulator({
    clock,
    random: new SeededRandom(seed ^ 0x33333333),
    keyDir: join(keys.dir, 'unionpay'),
  });
  const wechat_url = await wechat.app.listen({ host: '127.0.0.1', port: 0 });
  const alipay_url = await alipay.app.listen({ host: '127.0.0.1', port: 0 });
  const unionpay_url = await unionpay.app.listen({ host: '127.0.0.1', port: 0 });

  const stats: SimResult['stats'] = {
    payments: 0,
    refunds: 0,
    crashes: 0,
    crash_points,
    states: {},
    refund_states: {},
    events_delivered: 0,
  };
  let digest = '';
  try {
    await open();
    // The merchant, its app and one account per channel, each pointing at its simulator.
    const merchant = await createMerchant(gw(), 'Sim Shop');
    const app_row = await createApp(gw(), merchant.id, 'Sim Shop app');
    const wx = {
      mchid: '1900009001',
      appid: 'wxsim000000000001',
      merchant_serial_no: '5157F09EFDC096DE15EBE81A47057A7232F1B8E1',
      apiv3_key: 'SimulationApiV3KeyOf32Characters',
    };
    wechat.registerMerchant({ ...wx, merchant_public_key_pem: keys.wechat_merchant.public_key_pem });
    await createChannelAccount(gw(), {
      merchant_id: merchant.id,
      channel: 'wechat',
      mode: 'direct',
      name: 'Sim WeChat',
      settings: {
        mchid: wx.mchid,
        appid: wx.appid,
        merchant_serial_no: wx.merchant_serial_no,
        wechatpay_public_key_id: wechat.platformPublicKeyId,
        api_base_url: wechat_url,
      },
      secrets: {
        merchant_private_key_pem: keys.wechat_merchant.private_key_pem,
        apiv3_key: wx.apiv3_key,
        wechatpay_public_key_pem: wechat.platformPublicKeyPem,
      },
    });
    const ali_app = '2021000000009001';
    const seller_id = '2088000000009001';
    alipay.registerApp({ app_id: ali_app, app_public_key_pem: keys.alipay_app.public_key_pem, seller_id });
    await createChannelAccount(gw(), {
      merchant_id: merchant.id,
      channel: 'alipay',
      mode: 'direct',
      name: 'Sim Alipay',
      settings: {
        app_id: ali_app,
        seller_id,
        alipay_public_key_pem: alipay.alipayPublicKeyPem,
        gateway_url: `${alipay_url}/gateway.do`,
      },
      secrets: { app_private_key_pem: keys.alipay_app.private_key_pem },
    });
    unionpay.registerMerchant({ mer_id: TEST_MER_ID, cert_pem: KEYS.merchant_cert_pem });
    await createChannelAccount(gw(), {
      merchant_id: merchant.id,
      channel: 'unionpay',
      mode: 'direct',
      name: 'Sim UnionPay',
      settings: {
        mer_id: TEST_MER_ID,
        sign_cert_pem: KEYS.merchant_cert_pem,
        root_cert_pem: unionpay.rootCertPem,
        middle_cert_pem: unionpay.middleCertPem,
        gateway_base_url: unionpay_url,
      },
      secrets: { sign_private_key_pem: KEYS.merchant_private_key_pem },
    });

    // Faults, drawn from the seed: a mild plan for every channel, each rule with its own odds.
    const faultRules: Record<string, unknown>[] = [];
    const odds = (max: number) => Math.round(driver.nextFloat() * max * 1000) / 1000;
    for (const operation of ['create', 'query', 'close', 'reverse', 'refund', 'refund_query']) {
      faultRules.push({ kind: 'http_500', operation, probability: odds(0.15) });
      faultRules.push({ kind: 'system_error', operation, probability: odds(0.1) });
    }
    faultRules.push({ kind: 'drop_notification', operation: 'notify', probability: odds(0.3) });
    faultRules.push({
      kind: 'duplicate_notification',
      operation: 'notify',
      probability: odds(0.3),
      copies: 2,
    });
    faultRules.push({
      kind: 'delay_notification',
      operation: 'notify',
      probability: odds(0.3),
      latency_ms: between(driver, 1_000, 600_000),
    });
    faultRules.push({ kind: 'reorder_notifications', operation: 'notify', probability: odds(0.3) });
    faultRules.push({
      kind: 'user_paying',
      operation: 'create',
      probability: odds(0.3),
      resolve_after_ms: between(driver, 1_000, 60_000),
      resolves_to: driver.nextFloat() < 0.7 ? 'success' : 'failure',
    });
    for (const rule of faultRules) {
      wechat.addFault(rule as never);
      alipay.addFault(rule);
      unionpay.faults.add(rule);
    }

    const credential = async (): Promise<AppCredential> => {
      const c = await gw().credentials.get(app_row.id);
      if (!c) throw new Error('the app vanished');
      return c;
    };
    const orders: { no: string; input: CreatePaymentInput; answered: boolean }[] = [];
    const refunds: { no: string; order_no: string; input: CreateRefundInput; answered: boolean }[] = [];
    let code_seq = 0;

    const recoverIfCrashed = async () => {
      await gate.idle();
      if (!crashed) return;
      crashes++;
      gate.down = true;
      // The dead instance's work in flight is gone; close what is left of it and start again.
      await runtime!.close().catch(() => {});
      await open();
    };
    const guarded = async (work: () => Promise<void>) => {
      try {
        await work();
      } catch (error) {
        if (!(error instanceof SimulatedCrash) && !(error instanceof AppError)) throw error;
      }
      await recoverIfCrashed();
    };

    const sendCreate = async (o: (typeof orders)[number]) => {
      const app = await credential();
      try {
        await createPayment(gw(), app, o.input);
        o.answered = true;
      } catch (error) {
        if (error instanceof AppError) {
          o.answered = true;
          if (error.code === 'MERCHANT_ORDER_NO_REUSED')
            violations.push(`retry of ${o.no} was refused as a reused order number`);
        } else throw error;
      }
    };
    const sendRefund = async (r: (typeof refunds)[number]) => {
      const app = await credential();
      const payment = await findPaymentByOrderNo(gw().store.db, app.app_id, r.order_no);
      if (!payment) return;
      try {
        await createRefund(gw(), app, payment, r.input);
        r.answered = true;
      } catch (error) {
        if (error instanceof AppError) r.answered = true;
        else throw error;
      }
    };
    const paymentOf = async (no: string) => findPaymentByOrderNo(gw().store.db, app_row.id, no);
    const payAtChannel = async (id: string, way: string) => {
      if (way === 'WX_NATIVE') wechat.pay(id);
      else if (way === 'ALI_QR') await alipay.pay(id);
      else if (way === 'UP_QR') await unionpay.pay(orderIdOf(id)!);
    };
    const deliverNotifications = async () => {
      await wechat.deliverDueNotifications();
      await alipay.deliverDueNotifications();
      await unionpay.deliverDueNotifications();
    };
    const syncDue = async () => {
      for (let i = 0; i < SYNC_ITEMS_PER_ROUND_MAX; i++) {
        const now = clock.now_ms();
        const [payment] = await gw().store.transact((tx) => claimDueChecks(tx, now, SYNC_LEASE_MS, 1));
        if (payment) {
          await syncPayment(gw(), payment);
          continue;
        }
        const [refund] = await gw().store.transact((tx) => claimDueRefundChecks(tx, now, SYNC_LEASE_MS, 1));
        if (!refund) return;
        await syncRefund(gw(), refund);
      }
    };
    const deliverEvents = async () => {
      const one = deliverer as unknown as { deliver(e: unknown): Promise<void> };
      for (let i = 0; i < SYNC_ITEMS_PER_ROUND_MAX; i++) {
        const owner = delivery_random.bytes(12).toString('hex');
        const now = clock.now_ms();
        const [event] = await gw().store.transact((tx) =>
          claimDueEvents(tx, now, DELIVERY_LEASE_MS, 1, owner),
        );
        if (!event) return;
        await one.deliver(event);
      }
    };

    for (let step = 0; step < steps; step++) {
      const roll = driver.nextFloat();
      if (roll < 0.3) {
        const qr = driver.nextFloat() < 0.6;
        const way = pick(driver, qr ? QR_WAYS : CODE_WAYS);
        const no = `o-${seed}-${orders.length}`;
        const n = ++code_seq + seed * 1000;
        const auth_code =
          way === 'WX_BAR'
            ? `13${String(4_000_000_000_000_000 + n).slice(0, 16)}`
            : way === 'ALI_BAR'
              ? `28${String(4_000_000_000_000_000 + n).slice(0, 16)}`
              : `62${String(40_000_000_000_000_000n + BigInt(n)).slice(0, 17)}`;
        const input: CreatePaymentInput = {
          merchant_order_no: no,
          pay_way: way,
          amount: between(driver, 1, 50_000),
          subject: 'Sim goods',
          notify_url: receiver.url,
          ...(qr ? { expires_in_s: QR_EXPIRY_S } : { auth_code }),
        };
        const o = { no, input, answered: false };
        orders.push(o);
        await guarded(() => sendCreate(o));
      } else if (roll < 0.38) {
        const waiting = orders.filter((o) => !o.answered);
        if (waiting.length > 0) await guarded(() => sendCreate(pick(driver, waiting)));
      } else if (roll < 0.55) {
        const qr = orders.filter((o) => QR_WAYS.includes(o.input.pay_way));
        if (qr.length > 0) {
          const o = pick(driver, qr);
          const p = await paymentOf(o.no);
          if (p) await payAtChannel(p.id, o.input.pay_way);
        }
      } else if (roll < 0.67) {
        await guarded(deliverNotifications);
      } else if (roll < 0.75) {
        await guarded(syncDue);
      } else if (roll < 0.83) {
        await guarded(deliverEvents);
      } else if (roll < 0.9) {
        const success: string[] = [];
        for (const o of orders) if ((await paymentOf(o.no))?.state === 'SUCCESS') success.push(o.no);
        const waiting = refunds.filter((r) => !r.answered);
        if (waiting.length > 0 && driver.nextFloat() < 0.4)
          await guarded(() => sendRefund(pick(driver, waiting)));
        else if (success.length > 0) {
          const order_no = pick(driver, success);
          const amount = orders.find((o) => o.no === order_no)!.input.amount;
          const r = {
            no: `r-${seed}-${refunds.length}`,
            order_no,
            input: { merchant_refund_no: `r-${seed}-${refunds.length}`, amount: between(driver, 1, amount) },
            answered: false,
          };
          refunds.push(r);
          await guarded(() => sendRefund(r));
        }
      } else if (roll < 0.97) {
        clock.advance(between(driver, 1_000, 120_000));
      } else if (crashes < CRASHES_PER_SEED_MAX) {
        // A crash between requests (a deploy, an OOM kill): nothing in flight.
        crashed = true;
        crash_points.between_steps = (crash_points.between_steps ?? 0) + 1;
        await recoverIfCrashed();
      }
      if (crashes >= CRASHES_PER_SEED_MAX) configureFailpoints({ rules: [] });
    }

    // Recovery: no more crashes or faults; merchants retry what got no answer; time runs on.
    configureFailpoints({ rules: [] });
    wechat.clearFaults();
    alipay.clearFaults();
    unionpay.faults.clear();
    for (const o of orders) if (!o.answered) await sendCreate(o);
    for (const r of refunds) if (!r.answered) await sendRefund(r);
    const settled = async () => {
      const db = gw().store.db;
      const open_payments = await db
        .selectFrom('payments')
        .select('id')
        .where('state', 'in', ['CREATED', 'UNKNOWN', 'PENDING', 'PAYING'])
        .limit(1)
        .execute();
      const open_refunds = await db
        .selectFrom('refunds')
        .select('id')
        .where('state', '=', 'PROCESSING')
        .limit(1)
        .execute();
      const pending_events = await db
        .selectFrom('events')
        .select('id')
        .where('delivery_state', '=', 'pending')
        .limit(1)
        .execute();
      return open_payments.length + open_refunds.length + pending_events.length === 0;
    };
    const recovery_started = clock.now_ms();
    for (let round = 0; round < RECOVERY_ROUNDS_MAX; round++) {
      await deliverNotifications();
      await gate.idle();
      await syncDue();
      await deliverEvents();
      // Past every expiry and the channels' notification retries of the first hour, stop once quiet.
      if (clock.now_ms() - recovery_started > 3_600_000 && (await settled())) break;
      clock.advance(round < 20 ? 60_000 : 600_000);
    }
    await deliverNotifications();
    await gate.idle();
    await syncDue();
    await deliverEvents();

    // The invariants.
    const db = gw().store.db;
    const payments = await db.selectFrom('payments').selectAll().where('app_id', '=', app_row.id).execute();
    const refund_rows = await db.selectFrom('refunds').selectAll().where('app_id', '=', app_row.id).execute();
    const by_no = new Map<string, number>();
    for (const p of payments) by_no.set(p.merchant_order_no, (by_no.get(p.merchant_order_no) ?? 0) + 1);
    for (const [no, n] of by_no) if (n > 1) violations.push(`merchant order ${no} has ${n} payments`);
    for (const o of orders)
      if (!by_no.has(o.no)) violations.push(`merchant order ${o.no} was never recorded after retries`);
    const lines: string[] = [];
    for (const p of payments) {
      stats.states[p.state] = (stats.states[p.state] ?? 0) + 1;
      if (p.state === 'CREATED' || p.state === 'UNKNOWN' || p.state === 'PAYING')
        violations.push(`payment ${p.merchant_order_no} (${p.pay_way}) stayed ${p.state}`);
      const charged = await chargedAtChannel(p.pay_way, p.id);
      if (charged === 'charged' && p.state !== 'SUCCESS')
        violations.push(
          `payment ${p.merchant_order_no} (${p.pay_way}) was charged at the channel but is ${p.state}`,
        );
      if (charged !== 'charged' && p.state === 'SUCCESS')
        violations.push(
          `payment ${p.merchant_order_no} (${p.pay_way}) is SUCCESS but the channel has it ${charged}`,
        );
      if (p.state === 'SUCCESS' && !receiver.events.get(p.id)?.has('payment.succeeded'))
        violations.push(`payment ${p.merchant_order_no} is SUCCESS but its merchant was never told`);
      const mine = refund_rows.filter((r) => r.payment_id === p.id);
      const held = mine.filter((r) => r.state !== 'CLOSED').reduce((s, r) => s + Number(r.amount_fen), 0);
      if (held > Number(p.amount_fen))
        violations.push(`payment ${p.merchant_order_no}: refunds ${held} exceed the payment ${p.amount_fen}`);
      const refunded = mine
        .filter((r) => r.state === 'SUCCESS')
        .reduce((s, r) => s + Number(r.amount_fen), 0);
      const theirs = await refundedAtChannel(p.pay_way, p.id);
      if (theirs !== null && theirs !== refunded)
        violations.push(
          `payment ${p.merchant_order_no}: channel refunded ${theirs}, we have ${refunded} SUCCESS`,
        );
      lines.push(`${p.merchant_order_no} ${p.pay_way} ${p.state} ${p.amount_fen} ${refunded}`);
    }
    for (const r of refund_rows) {
      stats.refund_states[r.state] = (stats.refund_states[r.state] ?? 0) + 1;
      if (r.state === 'PROCESSING') violations.push(`refund ${r.merchant_refund_no} stayed PROCESSING`);
      lines.push(`${r.merchant_refund_no} ${r.state} ${r.amount_fen}`);
    }
    for (const r of refunds)
      if (!refund_rows.some((x) => x.merchant_refund_no === r.no) && r.answered === false)
        violations.push(`refund ${r.no} was never answered`);
    stats.payments = payments.length;
    stats.refunds = refund_rows.length;
    stats.events_delivered = [...receiver.events.values()].reduce((s, e) => s + e.size, 0);
    lines.sort();
    digest = createHash('sha256').update(lines.join('\n')).digest('hex');
  } catch (error) {
    violations.push(`the simulation itself failed: ${(error as Error).stack ?? String(error)}`);
  } finally {
    stats.crashes = crashes;
    disableFailpoints();
    await (runtime as GatewayRuntime | null)?.close().catch(() => {});
    for (const sim of [wechat, alipay, unionpay]) {
      await sim.stop().catch(() => {});
      await sim.app.close().catch(() => {});
    }
    await receiver.app.close();
    await gate.close();
    if (!options.keep_dir || violations.length === 0) rmSync(dir, { recursive: true, force: true });
  }

  async function chargedAtChannel(way: string, id: string): Promise<string> {
    if (way.startsWith('WX_')) {
      const s = wechat.order(id)?.trade_state ?? 'NOT_FOUND';
      return s === 'SUCCESS' || s === 'REFUND' ? 'charged' : s;
    }
    if (way.startsWith('ALI_')) {
      const o = alipay.order(id);
      if (!o) return 'NOT_FOUND';
      const kept =
        o.trade_status === 'TRADE_SUCCESS' ||
        o.trade_status === 'TRADE_FINISHED' ||
        (o.trade_status === 'TRADE_CLOSED' && o.refunds.length > 0);
      return kept ? 'charged' : o.trade_status;
    }
    const o = await unionpay.order(orderIdOf(id)!);
    if (!o) return 'NOT_FOUND';
    return o.state === 'success' && !o.cancelled ? 'charged' : `${o.state}${o.cancelled ? '+cancelled' : ''}`;
  }
  async function refundedAtChannel(way: string, id: string): Promise<number | null> {
    if (way.startsWith('WX_')) return wechat.order(id)?.refunded_fen ?? null;
    if (way.startsWith('ALI_')) {
      const o = alipay.order(id);
      return o ? o.refunds.reduce((s, r) => s + Math.round(Number(r.refund_amount) * 100), 0) : null;
    }
    const o = await unionpay.order(orderIdOf(id)!);
    return o && !o.cancelled ? o.refunded_fen : null;
  }

  return {
    seed,
    ok: violations.length === 0,
    violations,
    stats,
    digest,
    ...(options.keep_dir && violations.length > 0 ? { dir } : {}),
  };
}

/** Removes the keys shared by the seeds of this process. */
export function cleanUpSimulation(): void {
  if (shared) rmSync(shared.dir, { recursive: true, force: true });
  shared = null;
}
