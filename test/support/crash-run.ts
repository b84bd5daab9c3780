import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createLogger } from '../../src/boot/logger.ts';
import { openGateway } from '../../src/boot/open-gateway.ts';
import { rsaPair } from '../../src/channels/alipay/testing.ts';
import { orderIdOf } from '../../src/channels/unionpay/order-id.ts';
import { KEYS, TEST_MER_ID } from '../../src/channels/unionpay/testing.ts';
import { loadConfig } from '../../src/config/env.ts';
import { SeededRandom } from '../../src/domain/random.ts';
import { PaymuxClient } from '../../src/sdk/client.ts';
import { createApp, createChannelAccount, createMerchant } from '../../src/services/tenants.ts';
import { openStore } from '../../src/storage/database.ts';
import { startMerchantReceiver } from './merchant-receiver.ts';

/**
 * The crash test: the real gateway in a child process (test/support/crash-gateway.ts), the three
 * channel simulators each in their own process, a merchant load driver here that retries on
 * connection errors as a merchant does (same merchant_order_no, same Idempotency-Key), payers
 * paying at the simulators, and the gateway SIGKILLed by its own failpoints (PAYMUX_FAILPOINTS,
 * seeded) and restarted each time. Then recovery runs (sync job, delivery) and the invariants are
 * checked. Everything random comes from the printed seed.
 */
export interface CrashRunOptions {
  seed: number;
  payments: number;
  refunds: number;
  /** Gateway incarnations that run with failpoints on (each crashes at most once). */
  crashes_max: number;
  /** Chance per failpoint hit. */
  crash_probability: number;
  concurrency: number;
  /** How long recovery may take before the invariants are declared broken. */
  recovery_deadline_ms: number;
  log?: (line: string) => void;
}

export interface CrashRunResult {
  seed: number;
  ok: boolean;
  violations: string[];
  payments: number;
  refunds: number;
  crashes: number;
  restarts: number;
  seconds: number;
  replay: string;
}

const CLI = ['--import', 'tsx'];
const WAYS = ['WX_NATIVE', 'ALI_QR', 'UP_QR', 'WX_BAR', 'ALI_BAR', 'UP_BAR'] as const;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

/** Starts a process that prints one JSON line when ready; resolves with it. */
function startProcess(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ child: ChildProcess; info: Record<string, string> }> {
  const child = spawn(process.execPath, [...CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => {
    stderr = (stderr + String(d)).slice(-4000);
  });
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => resolve({ child, info: JSON.parse(line) as Record<string, string> }));
    child.once('exit', (code, signal) =>
      reject(new Error(`${args[0]} exited (${code ?? signal}) before it was ready: ${stderr}`)),
    );
  });
}

async function postJson(url: string, body: unknown): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

export async function runCrashTest(options: CrashRunOptions): Promise<CrashRunResult> {
  const started = Date.now();
  const log = options.log ?? (() => {});
  const random = new SeededRandom(options.seed);
  const chance = () => random.nextFloat();
  const int = (lo: number, hi: number) => lo + (random.nextUint32() % (hi - lo + 1));
  const dir = mkdtempSync(join(tmpdir(), 'paymux-crash-'));
  const children: ChildProcess[] = [];
  const violations: string[] = [];
  let crashes = 0;
  let restarts = 0;
  const receiver = await startMerchantReceiver();
  const replay = `npm run crash -- --seed ${options.seed} --payments ${options.payments} --refunds ${options.refunds} --crashes ${options.crashes_max}`;

  try {
    // The simulators, each its own process.
    mkdirSync(join(dir, 'sims'), { recursive: true });
    const simEnv = { ...process.env };
    const [wx, ali, up] = await Promise.all([
      startProcess(
        ['src/channels/wechat/simulator/main.ts', '--key-file', join(dir, 'sims', 'wechat.json')],
        simEnv,
      ),
      startProcess(
        ['src/channels/alipay/simulator/main.ts', '--key-file', join(dir, 'sims', 'alipay.json')],
        simEnv,
      ),
      startProcess(
        ['src/channels/unionpay/simulator/main.ts', '--key-dir', join(dir, 'sims', 'unionpay')],
        simEnv,
      ),
    ]);
    children.push(wx.child, ali.child, up.child);

    // The gateway's database, merchant and accounts, made once before the first start.
    const port = await freePort();
    const gateway_url = `http://127.0.0.1:${port}`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: join(dir, 'paymux.sqlite'),
      PAYMUX_DATA_DIR: dir,
      PAYMUX_PORT: String(port),
      PAYMUX_LOG_LEVEL: 'error',
      PAYMUX_SIMULATORS: 'off',
      PAYMUX_CHANNEL_TIMEOUT_MS: '5000',
      PAYMUX_FAILPOINTS: '',
    };
    const setup = await openGateway({ config: loadConfig(env), logger: createLogger('silent') });
    const gw = setup.gw;
    const merchant = await createMerchant(gw, 'Crash Shop');
    const app = await createApp(gw, merchant.id, 'Crash Shop app');
    const wx_keys = rsaPair();
    const wx_merchant = {
      mchid: '1900007001',
      appid: 'wxcrash0000000001',
      merchant_serial_no: '7157F09EFDC096DE15EBE81A47057A7232F1B8E1',
      apiv3_key: 'CrashTestApiV3KeyOf32Characters1',
    };
    const reg = await postJson(`${wx.info.url}/sim/merchants`, {
      ...wx_merchant,
      merchant_public_key_pem: wx_keys.public_key_pem,
    });
    if (reg.status !== 201) throw new Error(`wechat simulator refused the merchant: ${await reg.text()}`);
    await createChannelAccount(gw, {
      merchant_id: merchant.id,
      channel: 'wechat',
      mode: 'direct',
      name: 'Crash WeChat',
      settings: {
        mchid: wx_merchant.mchid,
        appid: wx_merchant.appid,
        merchant_serial_no: wx_merchant.merchant_serial_no,
        wechatpay_public_key_id: wx.info.public_key_id!,
        api_base_url: wx.info.url!,
      },
      secrets: {
        merchant_private_key_pem: wx_keys.private_key_pem,
        apiv3_key: wx_merchant.apiv3_key,
        wechatpay_public_key_pem: wx.info.public_key_pem!,
      },
    });
    const ali_keys = rsaPair();
    const ali_app = { app_id: '2021000000007001', seller_id: '2088000000007001' };
    const reg2 = await postJson(`${ali.info.url}/sim/apps`, {
      ...ali_app,
      app_public_key_pem: ali_keys.public_key_pem,
    });
    if (reg2.status !== 201) throw new Error(`alipay simulator refused the app: ${await reg2.text()}`);
    await createChannelAccount(gw, {
      merchant_id: merchant.id,
      channel: 'alipay',
      mode: 'direct',
      name: 'Crash Alipay',
      settings: {
        ...ali_app,
        alipay_public_key_pem: ali.info.alipay_public_key_pem!,
        gateway_url: ali.info.gateway_url!,
      },
      secrets: { app_private_key_pem: ali_keys.private_key_pem },
    });
    const reg3 = await postJson(`${up.info.url}/sim/merchants`, {
      mer_id: TEST_MER_ID,
      cert_pem: KEYS.merchant_cert_pem,
    });
    if (reg3.status !== 201) throw new Error(`unionpay simulator refused the merchant: ${await reg3.text()}`);
    await createChannelAccount(gw, {
      merchant_id: merchant.id,
      channel: 'unionpay',
      mode: 'direct',
      name: 'Crash UnionPay',
      settings: {
        mer_id: TEST_MER_ID,
        sign_cert_pem: KEYS.merchant_cert_pem,
        root_cert_pem: up.info.root_cert_pem!,
        middle_cert_pem: up.info.middle_cert_pem!,
        gateway_base_url: up.info.url!,
      },
      secrets: { sign_private_key_pem: KEYS.merchant_private_key_pem },
    });
    await setup.close();

    // The gateway process, restarted whenever it dies; the first crashes_max run with failpoints.
    let gateway: ChildProcess | null = null;
    let stopping = false;
    let incarnation = 0;
    let ready: Promise<void> = Promise.resolve();
    const launch = () => {
      const failing = incarnation < options.crashes_max;
      const childEnv = {
        ...env,
        PAYMUX_FAILPOINTS: failing ? `*=crash@${options.crash_probability}` : '',
        PAYMUX_FAILPOINTS_SEED: String(options.seed * 1000 + incarnation),
      };
      incarnation++;
      ready = startProcess(['test/support/crash-gateway.ts'], childEnv).then(({ child }) => {
        gateway = child;
        children.push(child);
        child.once('exit', (_code, signal) => {
          gateway = null;
          if (stopping) return;
          if (signal === 'SIGKILL') crashes++;
          else violations.push(`the gateway exited on its own (${_code ?? signal})`);
          restarts++;
          log(`gateway died (${signal ?? _code}); restart ${restarts}`);
          launch();
        });
      });
      ready.catch((error: unknown) => {
        // Killed while starting (a failpoint during start-up cannot fire; a port still held can).
        log(`gateway start failed: ${String(error)}; retrying`);
        setTimeout(launch, 200);
      });
    };
    launch();
    await ready;

    const client = new PaymuxClient({
      base_url: gateway_url,
      app_id: app.id,
      secret: app.secret,
      now_s: () => Math.floor(Date.now() / 1000),
    });
    /** A merchant's retrying call: connection errors, 5xx and "in progress" are retried with the same key. */
    const call = async <T>(method: string, path: string, body: unknown, key: string) => {
      for (let attempt = 0; attempt < 400; attempt++) {
        try {
          const res = await client.request<T>(method, path, body, { 'Idempotency-Key': key });
          if (res.status < 500 && res.status !== 409) return res;
          if (res.status === 409 && !JSON.stringify(res.body).includes('IN_PROGRESS')) return res;
        } catch {
          // connection refused or reset: the gateway is restarting
        }
        await new Promise((r) => setTimeout(r, 100 + attempt * 20));
      }
      throw new Error(`${method} ${path} never answered`);
    };

    interface Made {
      order_no: string;
      id: string;
      way: string;
      amount: number;
    }
    const made: Made[] = [];
    const code = (way: string, n: number) =>
      way === 'WX_BAR'
        ? `13${String(4_000_000_000_000_000 + n).slice(0, 16)}`
        : way === 'ALI_BAR'
          ? `28${String(4_000_000_000_000_000 + n).slice(0, 16)}`
          : `62${String(40_000_000_000_000_000n + BigInt(n)).slice(0, 17)}`;
    const plan = Array.from({ length: options.payments }, (_, i) => ({
      i,
      way: WAYS[int(0, WAYS.length - 1)]!,
      amount: int(1, 100_000),
      pay: chance() < 0.8,
    }));
    let next = 0;
    const worker = async () => {
      while (next < plan.length) {
        const p = plan[next++]!;
        const order_no = `crash-${options.seed}-${p.i}`;
        const is_code = p.way.endsWith('_BAR');
        const body = {
          merchant_order_no: order_no,
          pay_way: p.way,
          amount: p.amount,
          subject: 'Crash goods',
          notify_url: receiver.url,
          // The shortest expiry: a QR payment whose create never reached the channel (a crash
          // before the call) stays CREATED until expiry closes it — see docs/crash-safety.md.
          ...(is_code ? { auth_code: code(p.way, options.seed * 100_000 + p.i) } : { expires_in_s: 60 }),
        };
        const res = await call<{ id: string; state: string; code?: string }>(
          'POST',
          '/v1/payments',
          body,
          `k-${order_no}`,
        );
        if (res.status !== 200 && res.status !== 201) {
          violations.push(`create ${order_no} answered ${res.status}: ${JSON.stringify(res.body)}`);
          continue;
        }
        made.push({ order_no, id: res.body.id, way: p.way, amount: p.amount });
        if (!is_code && p.pay) {
          const target =
            p.way === 'WX_NATIVE'
              ? `${wx.info.url}/sim/orders/${res.body.id}/pay`
              : p.way === 'ALI_QR'
                ? `${ali.info.url}/sim/orders/${res.body.id}/pay`
                : `${up.info.url}/sim/orders/${orderIdOf(res.body.id)}/pay`;
          // The order exists at the channel only once the create reached it; a payer retries a little.
          for (let t = 0; t < 20; t++) {
            const paid = await fetch(target, { method: 'POST' });
            if (paid.status === 200) break;
            await new Promise((r) => setTimeout(r, 250));
          }
        }
      }
    };
    await Promise.all(Array.from({ length: options.concurrency }, worker));
    log(`${made.length} payments made; ${crashes} crashes so far`);

    // Refunds of successful payments, with the same retrying merchant.
    const refunded = new Map<string, number>();
    let refunds_made = 0;
    for (let wait = 0; wait < 60 && refunds_made < options.refunds; wait++) {
      for (const m of made) {
        if (refunds_made >= options.refunds) break;
        if (refunded.has(m.id)) continue;
        const now = await call<{ state: string }>(
          'GET',
          `/v1/payments/${m.id}`,
          undefined,
          `g-${m.id}-${wait}`,
        );
        if (now.body.state !== 'SUCCESS') continue;
        const amount = chance() < 0.5 ? m.amount : int(1, m.amount);
        const no = `crash-r-${m.id}`;
        const r = await call(
          'POST',
          `/v1/payments/${m.id}/refunds`,
          { merchant_refund_no: no, amount },
          `k-${no}`,
        );
        if (r.status !== 201 && r.status !== 200)
          violations.push(`refund ${no} answered ${r.status}: ${JSON.stringify(r.body)}`);
        refunded.set(m.id, amount);
        refunds_made++;
      }
      if (refunds_made < options.refunds) await new Promise((r) => setTimeout(r, 1000));
    }
    log(`${refunds_made} refunds made; ${crashes} crashes so far`);

    // Recovery: no more failpoints once crashes_max incarnations died; wait for the invariants.
    const store = openStore({ url: join(dir, 'paymux.sqlite') });
    const channelView = async (m: Made) => {
      const url = m.way.startsWith('WX_')
        ? `${wx.info.url}/sim/orders/${m.id}`
        : m.way.startsWith('ALI_')
          ? `${ali.info.url}/sim/orders/${m.id}`
          : `${up.info.url}/sim/orders/${orderIdOf(m.id)}`;
      const res = await fetch(url);
      if (res.status === 404) return { charged: false, what: 'NOT_FOUND' };
      const o = (await res.json()) as Record<string, unknown>;
      if (m.way.startsWith('WX_'))
        return {
          charged: o.trade_state === 'SUCCESS' || o.trade_state === 'REFUND',
          what: String(o.trade_state),
        };
      if (m.way.startsWith('ALI_')) {
        const s = String(o.trade_status);
        const kept =
          s === 'TRADE_SUCCESS' ||
          s === 'TRADE_FINISHED' ||
          (s === 'TRADE_CLOSED' && (o.refunds as unknown[]).length > 0);
        return { charged: kept, what: s };
      }
      return { charged: o.state === 'success' && o.cancelled !== true, what: String(o.state) };
    };
    const check = async (): Promise<string[]> => {
      const found: string[] = [];
      const payments = await store.db.selectFrom('payments').selectAll().execute();
      const refunds = await store.db.selectFrom('refunds').selectAll().execute();
      const per_no = new Map<string, number>();
      for (const p of payments) per_no.set(p.merchant_order_no, (per_no.get(p.merchant_order_no) ?? 0) + 1);
      for (const [no, n] of per_no) if (n > 1) found.push(`merchant order ${no} has ${n} payments`);
      const delivered = new Set(
        receiver.received
          .map((r) => JSON.parse(r.body) as { type: string; data: { object: { id: string } } })
          .filter((e) => e.type === 'payment.succeeded')
          .map((e) => e.data.object.id),
      );
      for (const m of made) {
        const p = payments.find((x) => x.id === m.id);
        if (!p) {
          found.push(`payment ${m.order_no} is missing`);
          continue;
        }
        if (['CREATED', 'UNKNOWN', 'PAYING'].includes(p.state))
          found.push(`payment ${m.order_no} (${m.way}) is ${p.state}`);
        const at = await channelView(m);
        if (at.charged && p.state !== 'SUCCESS')
          found.push(`payment ${m.order_no} (${m.way}) charged at the channel but ${p.state} here`);
        if (!at.charged && p.state === 'SUCCESS')
          found.push(`payment ${m.order_no} (${m.way}) SUCCESS here but ${at.what} at the channel`);
        if (p.state === 'SUCCESS' && !delivered.has(p.id))
          found.push(`payment ${m.order_no} SUCCESS but not delivered`);
        const held = refunds
          .filter((r) => r.payment_id === p.id && r.state !== 'CLOSED')
          .reduce((s, r) => s + Number(r.amount_fen), 0);
        if (held > Number(p.amount_fen))
          found.push(`payment ${m.order_no}: refunds ${held} > ${p.amount_fen}`);
      }
      for (const r of refunds)
        if (r.state === 'PROCESSING') found.push(`refund ${r.merchant_refund_no} PROCESSING`);
      return found;
    };
    const deadline = Date.now() + options.recovery_deadline_ms;
    let last: string[] = [];
    for (;;) {
      await ready.catch(() => {});
      last = await check();
      if (last.length === 0 || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    violations.push(...last);
    await store.close();
    stopping = true;
    (gateway as ChildProcess | null)?.kill('SIGTERM');
    return {
      seed: options.seed,
      ok: violations.length === 0,
      violations,
      payments: made.length,
      refunds: refunds_made,
      crashes,
      restarts,
      seconds: Math.round((Date.now() - started) / 100) / 10,
      replay,
    };
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await receiver.close();
    if (violations.length === 0) rmSync(dir, { recursive: true, force: true });
    else log(`data kept in ${dir}`);
  }
}
