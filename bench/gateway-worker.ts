import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { type GatewayRuntime, openGateway } from '../src/boot/open-gateway.ts';
import { loadConfig } from '../src/config/env.ts';
import { seedWechatMerchant } from '../src/demo/seed.ts';
import { newId } from '../src/domain/ids.ts';
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
      const config = loadConfig({
        ...process.env,
        PAYMUX_DATA_DIR: String(message.data_dir),
        PAYMUX_LOG_LEVEL: 'warn',
        PAYMUX_PORT: '0',
      });
      runtime = await openGateway({ config, start_jobs: true });
      const url = await runtime.http.listen({ host: '127.0.0.1', port: 0 });
      runtime.gw.settings.public_url = url;
      const sim = message.sim as { url: string; public_key_id: string; public_key_pem: string };
      const merchants = [];
      for (let i = 0; i < Number(message.merchants ?? 1); i++) {
        const seeded = await seedWechatMerchant(runtime.gw, `Bench Shop ${i}`, sim);
        const registered = await fetch(`${sim.url}/sim/merchants`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(seeded.wechat),
        });
        if (registered.status !== 201)
          throw new Error(`simulator refused merchant: ${await registered.text()}`);
        merchants.push({
          app_id: seeded.app_id,
          secret: seeded.app_secret,
          merchant_id: seeded.merchant_id,
          channel_account_id: seeded.channel_account_id,
          mchid: seeded.wechat.mchid,
          appid: seeded.wechat.appid,
          apiv3_key: seeded.wechat.apiv3_key,
        });
      }
      return { url, merchants };
    }
    case 'cpu':
      // CPU time of the whole process (event loop and thread pool) and the event loop's busy share.
      return {
        ...process.cpuUsage(),
        elu: performance.eventLoopUtilization(),
        commits: runtime?.gw.store.commit_stats.commits ?? 0,
        transactions: runtime?.gw.store.commit_stats.transactions ?? 0,
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
      runtime!.deliverer.stop();
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

interface SeedPending {
  count: number;
  merchant_id: string;
  app_id: string;
  channel_account_id: string;
  notify_url: string;
}

/**
 * Payments waiting for their payer, written straight through the repository (in commits of 500):
 * the notify scenario then pays them with channel notifications at full rate.
 */
async function seedPending(spec: SeedPending): Promise<Array<{ id: string; amount_fen: number }>> {
  const gw = runtime!.gw;
  const out: Array<{ id: string; amount_fen: number }> = [];
  const now = gw.clock.now_ms();
  for (let done = 0; done < spec.count; ) {
    const batch = Math.min(500, spec.count - done);
    const rows: PaymentRecord[] = [];
    for (let i = 0; i < batch; i++) {
      const id = newId('payment', gw.clock, gw.random);
      const amount_fen = 1 + ((done + i) % 9999);
      out.push({ id, amount_fen });
      rows.push({
        id,
        merchant_id: spec.merchant_id,
        app_id: spec.app_id,
        channel_account_id: spec.channel_account_id,
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
