import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchReconcile } from '../src/reconcile/bench.ts';
import type { LoadResult } from './load-worker.ts';
import { forkWorker, root, startWechatSimulator } from './processes.ts';
import { makeWechatNotifications } from './wechat-notifications.ts';

/**
 * `npm run bench`: figures that mean something on any machine, because each is set beside a
 * reference measured in the same run — a bare Fastify JSON handler's throughput, and the CPU cost
 * of one RSA-2048 signature. Results print as a table and are written as JSON to bench/results/.
 *
 * Options: --duration 10 (seconds measured per scenario), --warmup 3, --connections 32.
 */
const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '32' },
    rate: { type: 'string' },
    'notify-rows': { type: 'string', default: '12000' },
    'bill-rows': { type: 'string', default: '1000000' },
  },
});
const rate_per_s = values.rate ? Number(values.rate) : undefined;
const notify_rows = Number(values['notify-rows']);
const bill_rows = Number(values['bill-rows']);
const duration_s = Number(values.duration);
const warmup_s = Number(values.warmup);
const connections = Number(values.connections);

interface CpuUsage {
  user: number;
  system: number;
  elu?: { idle: number; active: number; utilization: number };
  commits?: number;
  transactions?: number;
}
/** Share of wall time the event loop was busy between two readings. */
const eluBetween = (a: CpuUsage, b: CpuUsage) =>
  a.elu && b.elu
    ? (b.elu.active - a.elu.active) / (b.elu.active - a.elu.active + b.elu.idle - a.elu.idle)
    : Number.NaN;
const cpuMs = (a: CpuUsage, b: CpuUsage) => (b.user - a.user + b.system - a.system) / 1000;

/** CPU time of one RSA-2048 SHA-256 signature, as the channels require one per request. */
function rsaSignatureMs(): number {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const data = Buffer.from('POST\n/v3/pay/transactions/native\n1700000000\nnonce\n{"a":1}\n');
  for (let i = 0; i < 50; i++) sign('sha256', data, privateKey);
  const rounds = 400;
  const start = process.cpuUsage();
  for (let i = 0; i < rounds; i++) sign('sha256', data, privateKey);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000 / rounds;
}

async function main(): Promise<void> {
  const work_dir = mkdtempSync(join(tmpdir(), 'paymux-bench-'));
  const results: Record<string, unknown> = {
    started_at: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', node: process.version },
    settings: { duration_s, warmup_s, connections, database: 'sqlite synchronous=FULL (WAL)' },
  };
  const loader = forkWorker('./load-worker.ts');
  const cleanups: Array<() => Promise<void>> = [() => loader.stop()];
  try {
    const rsa_ms = rsaSignatureMs();
    results.rsa2048_sign_ms = rsa_ms;
    console.log(`RSA-2048 signature: ${rsa_ms.toFixed(3)} ms of CPU`);

    const measure = async (spec: Record<string, unknown>): Promise<LoadResult> => {
      if (warmup_s > 0)
        await loader.ask<LoadResult>({ cmd: 'load', spec: { ...spec, duration_s: warmup_s } });
      return loader.ask<LoadResult>({ cmd: 'load', spec: { ...spec, duration_s } });
    };

    // Reference: a bare Fastify JSON POST handler.
    const bare = forkWorker('./bare-worker.ts');
    cleanups.push(() => bare.stop());
    const bare_url = await bare.ask<string>({ cmd: 'listen' });
    const bare_result = await measure({ kind: 'bare', url: bare_url, connections });
    await bare.stop();
    results.bare_fastify = bare_result;
    console.log(
      `bare Fastify:  ${bare_result.requests_per_s.toFixed(0)} req/s, p50 ${bare_result.latency_p50_ms} ms, p99 ${bare_result.latency_p99_ms} ms`,
    );

    // Scenario 1: create WX_NATIVE payments, simulator in its own process.
    const sim_key_file = join(work_dir, 'wechat-platform-key.json');
    const sim = await startWechatSimulator(sim_key_file);
    cleanups.push(() => sim.stop());
    const gateway = forkWorker('./gateway-worker.ts');
    cleanups.push(() => gateway.stop());
    const started = await gateway.ask<{ url: string; merchants: BenchMerchant[] }>({
      cmd: 'start',
      data_dir: join(work_dir, 'gateway'),
      sim,
      merchants: 1,
    });
    const spec = {
      kind: 'create',
      url: started.url,
      connections,
      pay_way: 'WX_NATIVE',
      merchants: started.merchants,
      rate_per_s,
    };
    if (warmup_s > 0) await loader.ask<LoadResult>({ cmd: 'load', spec: { ...spec, duration_s: warmup_s } });
    const profile_dir = process.env.BENCH_PROFILE;
    if (profile_dir) await gateway.ask({ cmd: 'profile_start' });
    const cpu_before = await gateway.ask<CpuUsage>({ cmd: 'cpu' });
    const create = await loader.ask<LoadResult>({ cmd: 'load', spec: { ...spec, duration_s } });
    const cpu_after = await gateway.ask<CpuUsage>({ cmd: 'cpu' });
    if (profile_dir) {
      mkdirSync(profile_dir, { recursive: true });
      console.log(
        `profile: ${await gateway.ask({ cmd: 'profile_stop', file: join(profile_dir, 'gateway-create.cpuprofile') })}`,
      );
    }
    const cpu_per_payment_ms = cpuMs(cpu_before, cpu_after) / Math.max(create.ok, 1);
    const counts = await gateway.ask<Record<string, number>>({ cmd: 'count' });
    const event_loop_busy = eluBetween(cpu_before, cpu_after);
    const commits = (cpu_after.commits ?? 0) - (cpu_before.commits ?? 0);
    const transactions_per_commit =
      ((cpu_after.transactions ?? 0) - (cpu_before.transactions ?? 0)) / Math.max(commits, 1);
    results.create_wx_native = {
      ...create,
      gateway_cpu_per_payment_ms: cpu_per_payment_ms,
      gateway_event_loop_busy: event_loop_busy,
      commits_per_payment: commits / Math.max(create.ok, 1),
      transactions_per_commit,
      cpu_budget_ms: rsa_ms + 0.35,
      ratio_to_bare: create.requests_per_s / bare_result.requests_per_s,
      payment_states: counts,
    };
    console.log(
      `create WX_NATIVE: ${create.requests_per_s.toFixed(0)} payments/s (${(create.requests_per_s / bare_result.requests_per_s).toFixed(3)} × bare), ` +
        `p50 ${create.latency_p50_ms} ms, p99 ${create.latency_p99_ms} ms, non-2xx ${create.non_2xx}, errors ${create.errors}; ` +
        `gateway CPU ${cpu_per_payment_ms.toFixed(3)} ms/payment, event loop ${(event_loop_busy * 100).toFixed(0)}% busy, ${(commits / Math.max(create.ok, 1)).toFixed(2)} commits/payment, ${transactions_per_commit.toFixed(1)} transactions/commit (budget: 1 RSA signature + 0.35 = ${(rsa_ms + 0.35).toFixed(3)} ms); states ${JSON.stringify(counts)}`,
    );

    // Scenario: read a payment (signed GET): the gateway's cost of a request without a channel call.
    const ids = await gateway.ask<string[]>({ cmd: 'recent_payments' });
    const get_spec = {
      kind: 'get',
      url: started.url,
      connections,
      merchants: started.merchants,
      payment_ids: ids,
    };
    if (warmup_s > 0)
      await loader.ask<LoadResult>({ cmd: 'load', spec: { ...get_spec, duration_s: warmup_s } });
    const get_cpu_before = await gateway.ask<CpuUsage>({ cmd: 'cpu' });
    const get = await loader.ask<LoadResult>({ cmd: 'load', spec: { ...get_spec, duration_s } });
    const get_cpu_after = await gateway.ask<CpuUsage>({ cmd: 'cpu' });
    const get_cpu_ms = cpuMs(get_cpu_before, get_cpu_after) / Math.max(get.ok, 1);
    results.get_payment = {
      ...get,
      gateway_cpu_per_request_ms: get_cpu_ms,
      ratio_to_bare: get.requests_per_s / bare_result.requests_per_s,
    };
    console.log(
      `get payment: ${get.requests_per_s.toFixed(0)} req/s (${(get.requests_per_s / bare_result.requests_per_s).toFixed(3)} × bare), ` +
        `p50 ${get.latency_p50_ms} ms, p99 ${get.latency_p99_ms} ms, non-2xx ${get.non_2xx}; gateway CPU ${get_cpu_ms.toFixed(3)} ms/request`,
    );

    // Scenario 2, notify: genuine signed and encrypted notifications for waiting payments, at
    // full rate (verify, decrypt, transition, outbox). Scenario 3, deliver: the events they made,
    // delivered to a local merchant endpoint (the bare Fastify handler).
    const receiver = forkWorker('./bare-worker.ts');
    cleanups.push(() => receiver.stop());
    const receiver_url = await receiver.ask<string>({ cmd: 'listen' });
    await gateway.ask({ cmd: 'deliverer_stop' });
    const m = started.merchants[0]!;
    const notify_count = Math.max(2_000, Math.round(notify_rows));
    const pending = await gateway.ask<Array<{ id: string; amount_fen: number }>>({
      cmd: 'seed_pending',
      count: notify_count,
      merchant_id: m.merchant_id,
      app_id: m.app_id,
      channel_account_id: m.channel_account_id,
      notify_url: `${receiver_url}/echo`,
    });
    const prepared = await makeWechatNotifications(
      {
        account_id: m.channel_account_id,
        mchid: m.mchid,
        appid: m.appid,
        apiv3_key: m.apiv3_key,
        platform_key_file: sim_key_file,
      },
      pending,
    );
    if (profile_dir) await gateway.ask({ cmd: 'profile_start' });
    const notify_cpu_before = await gateway.ask<CpuUsage>({ cmd: 'cpu' });
    const notify = await loader.ask<LoadResult>({
      cmd: 'load',
      spec: { kind: 'replay', url: started.url, connections, prepared },
    });
    const notify_cpu_after = await gateway.ask<CpuUsage>({ cmd: 'cpu' });
    if (profile_dir)
      await gateway.ask({ cmd: 'profile_stop', file: join(profile_dir, 'gateway-notify.cpuprofile') });
    const notify_counts = await gateway.ask<Record<string, number>>({ cmd: 'count' });
    results.notify = {
      ...notify,
      gateway_cpu_per_notification_ms: cpuMs(notify_cpu_before, notify_cpu_after) / Math.max(notify.ok, 1),
      ratio_to_bare: notify.requests_per_s / bare_result.requests_per_s,
      payment_states: notify_counts,
    };
    console.log(
      `notify: ${notify.requests_per_s.toFixed(0)} notifications/s (${(notify.requests_per_s / bare_result.requests_per_s).toFixed(3)} × bare; target 0.3), ` +
        `p50 ${notify.latency_p50_ms} ms, p99 ${notify.latency_p99_ms} ms, non-2xx ${notify.non_2xx}; states ${JSON.stringify(notify_counts)}`,
    );
    if (profile_dir) await gateway.ask({ cmd: 'profile_start' });
    const deliver = await gateway.ask<{ delivered: number; elapsed_ms: number }>({ cmd: 'deliver_all' });
    if (profile_dir)
      await gateway.ask({ cmd: 'profile_stop', file: join(profile_dir, 'gateway-deliver.cpuprofile') });
    const deliver_per_s = (deliver.delivered / deliver.elapsed_ms) * 1000;
    results.deliver = {
      ...deliver,
      events_per_s: deliver_per_s,
      ratio_to_bare: deliver_per_s / bare_result.requests_per_s,
    };
    console.log(
      `deliver: ${deliver.delivered} events in ${deliver.elapsed_ms.toFixed(0)} ms = ${deliver_per_s.toFixed(0)} events/s (${(deliver_per_s / bare_result.requests_per_s).toFixed(3)} × bare; target 0.3)`,
    );

    // Reconciliation of a large bill, against merely reading and splitting the same file.
    for (const cleanup of cleanups.splice(1).reverse()) await cleanup().catch(() => {});
    if (bill_rows > 0) {
      const reconcile = await benchReconcile(bill_rows);
      results.reconcile = reconcile;
      console.log(
        `reconcile: ${reconcile.rows} bill rows in ${reconcile.reconcile_ms.toFixed(0)} ms; reading and splitting alone ${reconcile.read_split_ms.toFixed(0)} ms; ` +
          `ratio ${reconcile.ratio.toFixed(1)}; peak RSS ${reconcile.peak_rss_mb.toFixed(0)} MB`,
      );
    }
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    rmSync(work_dir, { recursive: true, force: true });
  }
  const out_dir = join(root, 'bench', 'results');
  mkdirSync(out_dir, { recursive: true });
  const file = join(out_dir, `${results.started_at as string}.json`.replaceAll(':', '-'));
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`results written to ${file}`);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);

interface BenchMerchant {
  app_id: string;
  secret: string;
  merchant_id: string;
  channel_account_id: string;
  mchid: string;
  appid: string;
  apiv3_key: string;
}
