import { generateKeyPairSync } from 'node:crypto';
import { type GatewayRuntime, openGateway } from '../src/boot/open-gateway.ts';
import { loadConfig } from '../src/config/env.ts';
import { seedWechatMerchant } from '../src/demo/seed.ts';
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
        merchants.push({ app_id: seeded.app_id, secret: seeded.app_secret });
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
