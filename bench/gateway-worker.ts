import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type http from 'node:http';
import { Session } from 'node:inspector';
import SqliteDatabase from 'better-sqlite3';
import { type GatewayRuntime, openGateway } from '../src/boot/open-gateway.ts';
import { loadConfig } from '../src/config/env.ts';
import { seedWechatMerchant } from '../src/demo/seed.ts';
import { newId } from '../src/domain/ids.ts';
import { createChannelAccount } from '../src/services/tenants.ts';
import { insertPaymentIfNew, type PaymentRecord } from '../src/storage/repositories/payments.ts';
import { serveWorker } from './processes.ts';

/**
 * The gateway under load, in its own process: real configuration (SQLite with synchronous=FULL,
 * or PostgreSQL via DATABASE_URL), real HTTP server, background jobs on. Answers the benchmark's
 * questions over IPC: listen and seed, CPU time used, payment counts.
 */
let runtime: GatewayRuntime | null = null;

serveWorker(async (message) => {
  switch (message.cmd) {
    case 'start': {
      // Opens the gateway on data_dir (or DATABASE_URL from the environment); seeds nothing.
      const config = loadConfig({
        ...process.env,
        PAYMUX_DATA_DIR: String(message.data_dir),
        PAYMUX_LOG_LEVEL: 'warn',
        PAYMUX_PORT: '0',
      });
      runtime = await openGateway({ config, start_jobs: !process.env.BENCH_NO_JOBS });
      if (message.channel_timing) installServerTiming(runtime.http.server);
      const url = await runtime.http.listen({ host: '127.0.0.1', port: 0 });
      runtime.gw.settings.public_url = url;
      return { url };
    }
    case 'seed':
      return seedMerchants(message as unknown as SeedSpec);
    case 'close':
      await runtime?.close();
      runtime = null;
      return true;
    case 'cpu':
      // CPU time of the whole process (event loop and thread pool) and the event loop's busy share.
      return {
        ...process.cpuUsage(),
        elu: performance.eventLoopUtilization(),
        commits: runtime?.gw.store.commit_stats.commits ?? 0,
        transactions: runtime?.gw.store.commit_stats.transactions ?? 0,
        unflushed_commits: runtime?.gw.store.commit_stats.unflushed_commits ?? 0,
      };
    case 'profile_start':
      return profileStart();
    case 'profile_stop':
      return profileStop(String(message.file));
    case 'recent_payments': {
      const rows = await runtime!.gw.store.db
        .selectFrom('payments')
        .select('id')
        .orderBy('id', 'desc')
        .limit(1000)
        .execute();
      return rows.map((r) => r.id);
    }
    case 'seed_pending':
      return seedPending(message as unknown as SeedPending);
    case 'deliverer_stop':
      await runtime!.deliverer.stop();
      return true;
    case 'deliver_all': {
      // Delivers every due event with the deliverer's own rounds; the caller times it.
      const started = performance.now();
      const delivered = await runtime!.deliverer.drain(100_000);
      return { delivered, elapsed_ms: performance.now() - started };
    }
    case 'count': {
      const db = runtime!.gw.store.db;
      const rows = await db
        .selectFrom('payments')
        .select(['state'])
        .select((eb) => eb.fn.countAll().as('n'))
        .groupBy('state')
        .execute();
      return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
    }
    default:
      throw new Error(`unknown command ${String(message.cmd)}`);
  }
});

// BENCH_SLOW_SQL=ms: log every SQLite statement slower than that (SQL text and time), to stderr.
if (process.env.BENCH_SLOW_SQL) {
  const threshold_ms = Number(process.env.BENCH_SLOW_SQL);
  const prepare = SqliteDatabase.prototype.prepare;
  SqliteDatabase.prototype.prepare = function (this: SqliteDatabase.Database, sql: string) {
    const statement = prepare.call(this, sql);
    for (const method of ['all', 'get', 'run'] as const) {
      const original = statement[method] as (...args: unknown[]) => unknown;
      (statement as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
        const started = performance.now();
        const out = original.apply(statement, args);
        const ms = performance.now() - started;
        if (ms >= threshold_ms) process.stderr.write(`slow sql ${ms.toFixed(1)} ms: ${sql}\n`);
        return out;
      };
    }
    return statement;
  } as typeof prepare;
}

// Keep a key generation out of the measured window (the first one loads OpenSSL's RSA code).
generateKeyPairSync('rsa', { modulusLength: 1024 });

// BENCH_PROFILE: a CPU profile of the measured window only (start-up and seeding left out).
let session: Session | null = null;
function post(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
  return new Promise((resolve, reject) =>
    session!.post(method, params, (error, result) => (error ? reject(error) : resolve(result))),
  );
}
async function profileStart(): Promise<boolean> {
  session = new Session();
  session.connect();
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 200 });
  await post('Profiler.start');
  return true;
}
async function profileStop(file: string): Promise<string> {
  const { profile } = (await post('Profiler.stop')) as { profile: unknown };
  writeFileSync(file, JSON.stringify(profile));
  session?.disconnect();
  return file;
}

export interface BenchMerchant {
  app_id: string;
  secret: string;
  merchant_id: string;
  channel_account_id: string;
  mchid: string;
  appid: string;
  apiv3_key: string;
}

interface SeedSpec {
  count: number;
  sim: { url: string; public_key_id: string; public_key_pem: string };
  /** Also give the first merchant an Alipay account on this simulator (for ALI_QR). */
  alipay?: { url: string; gateway_url: string; alipay_public_key_pem: string };
}

/**
 * Merchants, each with an app and a WeChat Pay direct account registered with the simulator. One
 * merchant key pair serves them all (a key pair costs ~100 ms to make; 1,000 merchants must seed
 * in seconds); the ids, mchid, appid, serial and APIv3 key are each merchant's own. Seeded in
 * parallel batches, so the grouped commits take many at once.
 */
async function seedMerchants(spec: SeedSpec): Promise<BenchMerchant[]> {
  const gw = runtime!.gw;
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const private_pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const public_pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const digits = (n: number) => Array.from(randomBytes(n), (b) => String(b % 10)).join('');
  const seedOne = async (i: number): Promise<BenchMerchant> => {
    const name = `Bench Shop ${i}`;
    const seeded = await seedWechatMerchant(gw, name, spec.sim, { merchant_private_key_pem: private_pem });
    const registered = await fetch(`${spec.sim.url}/sim/merchants`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(seeded.wechat),
    });
    if (registered.status !== 201) throw new Error(`simulator refused merchant: ${await registered.text()}`);
    if (i === 0 && spec.alipay) {
      const app_id = `2021${digits(12)}`;
      const seller_id = `2088${digits(12)}`;
      await createChannelAccount(gw, {
        merchant_id: seeded.merchant_id,
        channel: 'alipay',
        mode: 'direct',
        name: `${name} Alipay`,
        settings: {
          app_id,
          seller_id,
          alipay_public_key_pem: spec.alipay.alipay_public_key_pem,
          gateway_url: spec.alipay.gateway_url,
        },
        secrets: { app_private_key_pem: private_pem },
      });
      const ali = await fetch(`${spec.alipay.url}/sim/apps`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ app_id, app_public_key_pem: public_pem, seller_id }),
      });
      if (ali.status !== 201) throw new Error(`alipay simulator refused app: ${await ali.text()}`);
    }
    return {
      app_id: seeded.app_id,
      secret: seeded.app_secret,
      merchant_id: seeded.merchant_id,
      channel_account_id: seeded.channel_account_id,
      mchid: seeded.wechat.mchid,
      appid: seeded.wechat.appid,
      apiv3_key: seeded.wechat.apiv3_key,
    };
  };
  const out: BenchMerchant[] = [];
  const BATCH = 25;
  for (let i = 0; i < spec.count; i += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, spec.count - i) }, (_, j) => seedOne(i + j));
    out.push(...(await Promise.all(batch)));
  }
  return out;
}

/**
 * The latency scenario's gateway only: each response carries `x-bench-server-ms`, the time from
 * the request event to the response head, so the load generator can tell the gateway's share
 * from the client's and the kernel's. The channel's share comes from the gateway's own
 * Server-Timing header. Nothing here runs in production, and no async context is tracked (an
 * AsyncLocalStorage on every request cost CPU and skewed what it measured).
 */
function installServerTiming(server: http.Server): void {
  const listeners = server.listeners('request') as Array<
    (req: http.IncomingMessage, res: http.ServerResponse) => void
  >;
  server.removeAllListeners('request');
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const start = performance.now();
    const writeHead = res.writeHead;
    res.writeHead = function (this: http.ServerResponse, ...args: unknown[]) {
      if (!this.headersSent) this.setHeader('x-bench-server-ms', (performance.now() - start).toFixed(3));
      return (writeHead as (...a: unknown[]) => http.ServerResponse).apply(this, args);
    } as typeof res.writeHead;
    for (const listener of listeners) listener.call(server, req, res);
  });
}

interface SeedPending {
  count: number;
  merchants: Array<{ merchant_id: string; app_id: string; channel_account_id: string }>;
  notify_url: string;
}

/**
 * Payments waiting for their payer, written straight through the repository (in commits of 500),
 * spread round-robin over the given merchants: the notify scenario then pays them with channel
 * notifications at full rate.
 */
async function seedPending(
  spec: SeedPending,
): Promise<Array<{ id: string; amount_fen: number; merchant: number }>> {
  const gw = runtime!.gw;
  const out: Array<{ id: string; amount_fen: number; merchant: number }> = [];
  const now = gw.clock.now_ms();
  for (let done = 0; done < spec.count; ) {
    const batch = Math.min(500, spec.count - done);
    const rows: PaymentRecord[] = [];
    for (let i = 0; i < batch; i++) {
      const id = newId('payment', gw.clock, gw.random);
      const amount_fen = 1 + ((done + i) % 9999);
      const merchant = (done + i) % spec.merchants.length;
      const m = spec.merchants[merchant]!;
      out.push({ id, amount_fen, merchant });
      rows.push({
        id,
        merchant_id: m.merchant_id,
        app_id: m.app_id,
        channel_account_id: m.channel_account_id,
        channel: 'wechat',
        pay_way: 'WX_NATIVE',
        merchant_order_no: `seed-${id}`,
        amount_fen,
        currency: 'CNY',
        subject: 'Bench',
        state: 'PENDING',
        version: 1,
        notify_url: spec.notify_url,
        client_ip: null,
        request_hash: 'seed',
        code_url: 'weixin://wxpay/bizpayurl?pr=seed',
        channel_trade_no: null,
        channel_status: 'NOTPAY',
        failure_code: null,
        failure_message: null,
        metadata_json: null,
        expires_at: now + 3600_000,
        paid_at: null,
        ended_at: null,
        created_at: now,
        updated_at: now,
        next_check_at: now + 3600_000,
        check_attempts: 0,
        refund_reserved_fen: 0,
        credential_json: null,
        payer_json: null,
      });
    }
    await gw.store.transact(async (tx) => {
      for (const row of rows) await insertPaymentIfNew(tx, row);
    });
    done += batch;
  }
  return out;
}
