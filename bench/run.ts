import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { benchReconcile } from '../src/reconcile/bench.ts';
import { bulkInsertPayments } from './bulk-payments.ts';
import type { BenchMerchant } from './gateway-worker.ts';
import type { LatencyResult, LoadResult } from './load-worker.ts';
import { forkWorker, root, startAlipaySimulator, startWechatSimulator } from './processes.ts';
import {
  type BenchContext,
  type CreateFigures,
  createLine,
  fmt,
  type Gateway,
  measureCreate,
  measureDeliver,
  measureNotify,
  type NotifyFigures,
  notifyLine,
  profiled,
  seedMerchants,
  startGateway,
  waitIdle,
} from './scenarios.ts';

/**
 * `npm run bench`: figures that mean something on any machine, because each is set beside a
 * reference measured in the same run — a bare Fastify JSON handler's throughput, the CPU cost of
 * one RSA-2048 signature, or the same scenario under the easy condition (spread merchants, empty
 * database, SQLite). Results print one line per figure and are written as JSON to bench/results/.
 *
 * Options: --duration 10 (seconds measured per run), --warmup 3, --connections 32, --rate (fixed
 * create rate), --notify-rows 12000, --bill-rows 1000000, --merchants 1000 (hot scenario),
 * --latency-rate 300, --growth-rows 1000000, --pg-url postgres://postgres@127.0.0.1:5432/postgres,
 * --only create,get,notify,hot,latency,growth,pg,reconcile (default: all).
 */
const SCENARIOS = ['create', 'get', 'notify', 'hot', 'latency', 'growth', 'pg', 'reconcile'] as const;
type Scenario = (typeof SCENARIOS)[number];

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '32' },
    rate: { type: 'string' },
    'notify-rows': { type: 'string', default: '12000' },
    'bill-rows': { type: 'string', default: '1000000' },
    merchants: { type: 'string', default: '1000' },
    'latency-rate': { type: 'string', default: '300' },
    'growth-rows': { type: 'string', default: '1000000' },
    'pg-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    only: { type: 'string' },
  },
  strict: true,
});
const only = new Set<Scenario>(
  values.only
    ? values.only.split(',').map((s) => {
        const name = s.trim() as Scenario;
        if (!SCENARIOS.includes(name))
          throw new Error(`--only: unknown scenario ${s}; known: ${SCENARIOS.join(', ')}`);
        return name;
      })
    : SCENARIOS,
);
const rate_per_s = values.rate ? Number(values.rate) : undefined;
const notify_rows = Math.max(2_000, Number(values['notify-rows']));
/** The comparison scenarios (hot, growth) run their notify part twice: half the rows each. */
const notify_rows_pair = Math.max(2_000, Math.round(notify_rows / 2));
const bill_rows = Number(values['bill-rows']);
const merchant_count = Number(values.merchants);
const latency_rate = Number(values['latency-rate']);
const growth_rows = Number(values['growth-rows']);
const duration_s = Number(values.duration);
const warmup_s = Number(values.warmup);
const connections = Number(values.connections);
/** Merchants in the growth scenario's databases (the history is spread over them, skewed). */
const GROWTH_MERCHANTS = 100;

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

const ratio = (a: number, b: number) => (b > 0 ? a / b : Number.NaN);
const meanOf = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / Math.max(values.length, 1);

/** Runs a, b, b, a (runs numbered 1, 2 on each side): the two sides share any drift of the host. */
async function abba<T>(
  a: (run: number) => Promise<T>,
  b: (run: number) => Promise<T>,
): Promise<{ a: T[]; b: T[] }> {
  const a1 = await a(1);
  const b1 = await b(1);
  const b2 = await b(2);
  const a2 = await a(2);
  return { a: [a1, a2], b: [b1, b2] };
}

async function main(): Promise<void> {
  const work_dir = mkdtempSync(join(tmpdir(), 'paymux-bench-'));
  const results: Record<string, unknown> = {
    started_at: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', node: process.version },
    settings: {
      duration_s,
      warmup_s,
      connections,
      notify_rows,
      database: 'sqlite synchronous=FULL (WAL)',
      only: [...only],
    },
  };
  const loader = forkWorker('./load-worker.ts');
  const ctx: BenchContext = {
    loader,
    work_dir,
    duration_s,
    warmup_s,
    connections,
    profile_dir: process.env.BENCH_PROFILE,
    cleanups: [() => loader.stop()],
  };
  const run_started = performance.now();
  const timings: Record<string, number> = {};
  const timed = async (name: string, f: () => Promise<void>) => {
    const t = performance.now();
    await f();
    timings[name] = (performance.now() - t) / 1000;
    console.log(`  (${name}: ${fmt(timings[name]!, 1)} s)`);
  };
  /** Stops everything a scenario started (all but the load generator). */
  const endScenario = async () => {
    for (const cleanup of ctx.cleanups.splice(1).reverse()) await cleanup().catch(() => {});
  };
  try {
    const rsa_ms = rsaSignatureMs();
    results.rsa2048_sign_ms = rsa_ms;
    console.log(`RSA-2048 signature: ${rsa_ms.toFixed(3)} ms of CPU`);

    // Reference: a bare Fastify JSON POST handler.
    let bare_per_s = Number.NaN;
    const bare_ref = () => ({ name: 'bare', per_s: bare_per_s });
    if (only.has('create') || only.has('get') || only.has('notify') || only.has('pg')) {
      const bare = forkWorker('./bare-worker.ts');
      ctx.cleanups.push(() => bare.stop());
      const bare_url = await bare.ask<string>({ cmd: 'listen' });
      const spec = { kind: 'bare', url: bare_url, connections };
      if (warmup_s > 0)
        await loader.ask<LoadResult>({ cmd: 'load', spec: { ...spec, duration_s: warmup_s } });
      const bare_result = await loader.ask<LoadResult>({ cmd: 'load', spec: { ...spec, duration_s } });
      await endScenario();
      bare_per_s = bare_result.requests_per_s;
      results.bare_fastify = bare_result;
      console.log(
        `bare Fastify:  ${fmt(bare_per_s)} req/s, p50 ${bare_result.latency_p50_ms} ms, p99 ${bare_result.latency_p99_ms} ms`,
      );
    }

    // Scenarios 1–3 on SQLite: create WX_NATIVE and ALI_QR, read, notify, deliver.
    const sqlite: { create?: CreateFigures; notify?: NotifyFigures; deliver_per_s?: number } = {};
    if (only.has('create') || only.has('get') || only.has('notify'))
      await timed('sqlite scenarios 1-3', async () => {
        const sim_key_file = join(work_dir, 'wechat-platform-key.json');
        const sim = await startWechatSimulator(sim_key_file);
        ctx.cleanups.push(() => sim.stop());
        const ali = await startAlipaySimulator(join(work_dir, 'alipay-key.json'));
        ctx.cleanups.push(() => ali.stop());
        const gateway = await startGateway(ctx, 'gateway');
        const merchants = await seedMerchants(gateway, 1, sim, ali);
        if (only.has('create')) {
          const wx = await measureCreate(ctx, [gateway], {
            pay_way: 'WX_NATIVE',
            merchants,
            ...(rate_per_s ? { rate_per_s } : {}),
            profile: 'gateway-create',
          });
          sqlite.create = wx;
          results.create_wx_native = {
            ...wx,
            cpu_budget_ms: rsa_ms + 0.35,
            ratio_to_bare: wx.requests_per_s / bare_per_s,
            payment_states: await gateway.worker.ask({ cmd: 'count' }),
          };
          console.log(
            `${createLine('create WX_NATIVE', wx, bare_ref())} (budget: 1 RSA signature + 0.35 = ${fmt(rsa_ms + 0.35, 3)} ms)`,
          );
          const alipay = await measureCreate(ctx, [gateway], {
            pay_way: 'ALI_QR',
            merchants,
            ...(rate_per_s ? { rate_per_s } : {}),
            profile: 'gateway-create-ali',
          });
          results.create_ali_qr = {
            ...alipay,
            cpu_budget_ms: rsa_ms + 0.35,
            ratio_to_bare: alipay.requests_per_s / bare_per_s,
            ratio_to_wx_native: alipay.requests_per_s / wx.requests_per_s,
          };
          console.log(
            `${createLine('create ALI_QR', alipay, bare_ref())}; ${fmt(alipay.requests_per_s / wx.requests_per_s, 3)} × WX_NATIVE`,
          );
        }

        if (only.has('get')) {
          // A signed read of a payment: the gateway's cost of a request without a channel call.
          let ids = await gateway.worker.ask<string[]>({ cmd: 'recent_payments' });
          if (ids.length === 0) {
            await gateway.worker.ask({
              cmd: 'seed_pending',
              count: 1000,
              merchants,
              notify_url: 'http://127.0.0.1:9/none',
            });
            ids = await gateway.worker.ask<string[]>({ cmd: 'recent_payments' });
          }
          const get_spec = {
            kind: 'get',
            url: gateway.url,
            connections,
            merchants: merchants.map((m) => ({ app_id: m.app_id, secret: m.secret })),
            payment_ids: ids,
          };
          if (warmup_s > 0)
            await loader.ask<LoadResult>({ cmd: 'load', spec: { ...get_spec, duration_s: warmup_s } });
          const before = await gateway.worker.ask<{ user: number; system: number }>({ cmd: 'cpu' });
          const get = await loader.ask<LoadResult>({ cmd: 'load', spec: { ...get_spec, duration_s } });
          const after = await gateway.worker.ask<{ user: number; system: number }>({ cmd: 'cpu' });
          const get_cpu_ms =
            (after.user - before.user + after.system - before.system) / 1000 / Math.max(get.ok, 1);
          results.get_payment = {
            ...get,
            gateway_cpu_per_request_ms: get_cpu_ms,
            ratio_to_bare: get.requests_per_s / bare_per_s,
          };
          console.log(
            `get payment: ${fmt(get.requests_per_s)} req/s (${fmt(get.requests_per_s / bare_per_s, 3)} × bare), ` +
              `p50 ${get.latency_p50_ms} ms, p99 ${get.latency_p99_ms} ms, non-2xx ${get.non_2xx}; gateway CPU ${fmt(get_cpu_ms, 3)} ms/request`,
          );
        }

        if (only.has('notify')) {
          const receiver = forkWorker('./bare-worker.ts');
          ctx.cleanups.push(() => receiver.stop());
          const receiver_url = await receiver.ask<string>({ cmd: 'listen' });
          const notify = await measureNotify(ctx, [gateway], {
            merchants,
            count: notify_rows,
            platform_key_file: sim_key_file,
            notify_url: `${receiver_url}/echo`,
            profile: 'gateway-notify',
          });
          sqlite.notify = notify;
          results.notify = { ...notify, ratio_to_bare: notify.requests_per_s / bare_per_s };
          console.log(`${notifyLine('notify', notify, bare_ref())}; target 0.3 × bare`);
          const deliver = await measureDeliver(ctx, [gateway], 'gateway-deliver');
          sqlite.deliver_per_s = deliver.events_per_s;
          results.deliver = { ...deliver, ratio_to_bare: deliver.events_per_s / bare_per_s };
          console.log(
            `deliver: ${deliver.delivered} events in ${fmt(deliver.elapsed_ms)} ms = ${fmt(deliver.events_per_s)} events/s (${fmt(deliver.events_per_s / bare_per_s, 3)} × bare; target 0.3)`,
          );
        }
        await endScenario();
      });

    if (only.has('hot')) await timed('hot merchant', () => hotMerchant(ctx, results));
    if (only.has('latency')) await timed('latency', () => latency(ctx, results));
    if (only.has('growth')) await timed('growth', () => growth(ctx, results));
    if (only.has('pg')) await timed('postgresql', () => postgres(ctx, results, sqlite, bare_per_s));

    // Reconciliation of a large bill, against merely reading and splitting the same file.
    if (only.has('reconcile') && bill_rows > 0)
      await timed('reconcile', async () => {
        const reconcile = await benchReconcile(bill_rows);
        results.reconcile = reconcile;
        console.log(
          `reconcile: ${reconcile.rows} bill rows in ${fmt(reconcile.reconcile_ms)} ms; reading and splitting alone ${fmt(reconcile.read_split_ms)} ms; ` +
            `ratio ${fmt(reconcile.ratio, 1)}; peak RSS ${fmt(reconcile.peak_rss_mb)} MB`,
        );
      });
  } finally {
    for (const cleanup of ctx.cleanups.reverse()) await cleanup().catch(() => {});
    rmSync(work_dir, { recursive: true, force: true });
  }
  results.scenario_seconds = timings;
  results.total_seconds = (performance.now() - run_started) / 1000;
  const out_dir = join(root, 'bench', 'results');
  mkdirSync(out_dir, { recursive: true });
  const file = join(out_dir, `${results.started_at as string}.json`.replaceAll(':', '-'));
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`total ${fmt(results.total_seconds as number)} s; results written to ${file}`);
}

/**
 * Scenario 4, hot merchant: scenarios 1 and 2 with every payment on one merchant, against the same
 * load spread over `--merchants` merchants (each with its own app, account and keys), on one
 * gateway seeded with all of them. Target: hot/spread ≥ 0.9.
 */
async function hotMerchant(ctx: BenchContext, results: Record<string, unknown>): Promise<void> {
  const sim_key_file = join(ctx.work_dir, 'hot-wechat-key.json');
  const sim = await startWechatSimulator(sim_key_file);
  ctx.cleanups.push(() => sim.stop());
  const receiver = forkWorker('./bare-worker.ts');
  ctx.cleanups.push(() => receiver.stop());
  const receiver_url = await receiver.ask<string>({ cmd: 'listen' });
  const gateway = await startGateway(ctx, 'hot');
  const seed_started = performance.now();
  const merchants = await seedMerchants(gateway, merchant_count, sim);
  const seed_s = (performance.now() - seed_started) / 1000;
  await waitIdle(gateway);
  console.log(`hot merchant: seeded ${merchants.length} merchants in ${fmt(seed_s, 1)} s`);
  const hot = [merchants[0]!];
  // Each side runs twice in the order hot, spread, spread, hot: a host that speeds up or slows down
  // during the scenario (and the sync job working through the payments of the runs before) weighs
  // on both sides alike. A single hot-then-spread pair measured 0.86 and 1.03 minutes apart.
  const create_runs = await abba(
    (i) =>
      measureCreate(ctx, [gateway], { pay_way: 'WX_NATIVE', merchants: hot, profile: `hot-create-${i}` }),
    (i) => measureCreate(ctx, [gateway], { pay_way: 'WX_NATIVE', merchants, profile: `spread-create-${i}` }),
  );
  const create_hot = meanOf(create_runs.a.map((c) => c.requests_per_s));
  const create_spread = meanOf(create_runs.b.map((c) => c.requests_per_s));
  const create_ratio = ratio(create_hot, create_spread);
  for (const c of create_runs.a) console.log(createLine('  create, 1 hot merchant', c));
  for (const c of create_runs.b) console.log(createLine(`  create, spread over ${merchants.length}`, c));
  console.log(
    `  create hot/spread: ${fmt(create_hot)} / ${fmt(create_spread)} = ${fmt(create_ratio, 3)} (target ≥ 0.9)`,
  );
  const notify_options = {
    count: Math.max(1_000, Math.round(notify_rows_pair / 2)),
    platform_key_file: sim_key_file,
    notify_url: `${receiver_url}/echo`,
  };
  const notify_runs = await abba(
    (i) => measureNotify(ctx, [gateway], { ...notify_options, merchants: hot, profile: `hot-notify-${i}` }),
    (i) => measureNotify(ctx, [gateway], { ...notify_options, merchants, profile: `spread-notify-${i}` }),
  );
  const notify_hot = meanOf(notify_runs.a.map((n) => n.requests_per_s));
  const notify_spread = meanOf(notify_runs.b.map((n) => n.requests_per_s));
  const notify_ratio = ratio(notify_hot, notify_spread);
  for (const n of notify_runs.a) console.log(notifyLine('  notify, 1 hot merchant', n));
  for (const n of notify_runs.b) console.log(notifyLine(`  notify, spread over ${merchants.length}`, n));
  console.log(
    `  notify hot/spread: ${fmt(notify_hot)} / ${fmt(notify_spread)} = ${fmt(notify_ratio, 3)} (target ≥ 0.9)`,
  );
  results.hot_merchant = {
    merchants: merchants.length,
    seed_s,
    create_hot_per_s: create_hot,
    create_spread_per_s: create_spread,
    create_runs,
    create_ratio_hot_to_spread: create_ratio,
    notify_hot_per_s: notify_hot,
    notify_spread_per_s: notify_spread,
    notify_runs,
    notify_ratio_hot_to_spread: notify_ratio,
  };
  for (const cleanup of ctx.cleanups.splice(1).reverse()) await cleanup().catch(() => {});
}

/**
 * Scenario 5, latency at a fixed rate: open-loop WX_NATIVE creates at `--latency-rate`/s; per
 * request, the time the gateway adds is the merchant-side total minus the gateway's channel-call
 * time (the gateway's own Server-Timing header: its HTTP client times each channel exchange). Reference:
 * the bare Fastify handler's total at the same rate through the same client. Target: p99 ≤ 5 ms.
 */
async function latency(ctx: BenchContext, results: Record<string, unknown>): Promise<void> {
  const sim = await startWechatSimulator(join(ctx.work_dir, 'latency-wechat-key.json'));
  ctx.cleanups.push(() => sim.stop());
  const bare = forkWorker('./bare-worker.ts');
  ctx.cleanups.push(() => bare.stop());
  const bare_url = await bare.ask<string>({ cmd: 'listen' });
  const gateway = await startGateway(ctx, 'latency', { channel_timing: true });
  const merchants = await seedMerchants(gateway, 1, sim);
  const spec = {
    url: gateway.url,
    rate_per_s: latency_rate,
    pay_way: 'WX_NATIVE',
    merchants: merchants.map((m) => ({ app_id: m.app_id, secret: m.secret })),
  };
  const bare_spec = { url: bare_url, rate_per_s: latency_rate, bare: true };
  if (ctx.warmup_s > 0) {
    // A gateway that has served for a while has its hot code optimised by V8; at 300/s a few
    // seconds are not enough for that, so the warm-up first runs creates at full rate.
    await ctx.loader.ask({
      cmd: 'load',
      spec: { ...spec, kind: 'create', connections: ctx.connections, duration_s: 2 * ctx.warmup_s },
    });
    await ctx.loader.ask({ cmd: 'latency', spec: { ...bare_spec, duration_s: ctx.warmup_s } });
    await ctx.loader.ask({ cmd: 'latency', spec: { ...spec, duration_s: ctx.warmup_s } });
  }
  const bare_result = await ctx.loader.ask<LatencyResult>({
    cmd: 'latency',
    spec: { ...bare_spec, duration_s: ctx.duration_s },
  });
  const before = await gateway.worker.ask<{ user: number; system: number }>({ cmd: 'cpu' });
  const result = await profiled(ctx, [gateway], 'gateway-latency', () =>
    ctx.loader.ask<LatencyResult>({ cmd: 'latency', spec: { ...spec, duration_s: ctx.duration_s } }),
  );
  const after = await gateway.worker.ask<{ user: number; system: number }>({ cmd: 'cpu' });
  const cpu_ms = (after.user - before.user + after.system - before.system) / 1000 / Math.max(result.ok, 1);
  const system_share =
    (after.system - before.system) / Math.max(after.user - before.user + after.system - before.system, 1);
  const p = (x: { p50: number; p99: number; p999: number }) =>
    `p50 ${fmt(x.p50, 2)} / p99 ${fmt(x.p99, 2)} / p999 ${fmt(x.p999, 2)} ms`;
  console.log(
    `latency at ${latency_rate}/s: ${result.ok} ok of ${result.sent} (${fmt(result.achieved_per_s)}/s), non-2xx ${result.non_2xx}, errors ${result.errors}, untimed ${result.untimed}; gateway CPU ${fmt(cpu_ms, 3)} ms/payment (${fmt(100 * system_share, 0)} % in the kernel)\n` +
      `  total ${p(result.total_ms)}; channel call ${p(result.channel_ms)}\n` +
      `  added by the gateway (total − channel): ${p(result.added_ms)} (target p99 ≤ 5 ms)\n` +
      `  added, counted inside the gateway: ${p(result.added_in_gateway_ms)}\n` +
      `  reference, bare Fastify at the same rate: ${p(bare_result.total_ms)}; added p99 / bare p99 = ${fmt(ratio(result.added_ms.p99, bare_result.total_ms.p99), 1)}`,
  );
  results.latency = {
    ...result,
    gateway_cpu_per_payment_ms: cpu_ms,
    gateway_cpu_system_share: system_share,
    bare_reference: bare_result,
    added_p99_to_bare_p99: ratio(result.added_ms.p99, bare_result.total_ms.p99),
  };
  for (const cleanup of ctx.cleanups.splice(1).reverse()) await cleanup().catch(() => {});
}

/**
 * Scenario 6, growth: scenarios 1 and 2 on a database already holding `--growth-rows` payments
 * (bulk-written into the SQLite file while no gateway has it open), against an empty database with
 * the same merchants count. Target: full/empty ≥ 0.9. The time to build the database is reported
 * on its own.
 */
async function growth(ctx: BenchContext, results: Record<string, unknown>): Promise<void> {
  const sim_key_file = join(ctx.work_dir, 'growth-wechat-key.json');
  const sim = await startWechatSimulator(sim_key_file);
  ctx.cleanups.push(() => sim.stop());
  const receiver = forkWorker('./bare-worker.ts');
  ctx.cleanups.push(() => receiver.stop());
  const receiver_url = await receiver.ask<string>({ cmd: 'listen' });
  const notify_options = {
    count: notify_rows_pair,
    platform_key_file: sim_key_file,
    notify_url: `${receiver_url}/echo`,
  };
  const runPair = async (gateway: Gateway, merchants: BenchMerchant[], label: string) => {
    const create = await measureCreate(ctx, [gateway], {
      pay_way: 'WX_NATIVE',
      merchants,
      profile: `growth-${label}-create`,
    });
    const notify = await measureNotify(ctx, [gateway], {
      ...notify_options,
      merchants,
      profile: `growth-${label}-notify`,
    });
    return { create, notify };
  };

  // The reference: an empty database.
  const empty_gw = await startGateway(ctx, 'growth-empty');
  const empty_merchants = await seedMerchants(empty_gw, GROWTH_MERCHANTS, sim);
  await waitIdle(empty_gw);
  const empty = await runPair(empty_gw, empty_merchants, 'empty');
  await empty_gw.worker.ask({ cmd: 'close' });
  await empty_gw.worker.stop();

  // The same on a database with the history: merchants first (through the gateway), then the rows.
  const seeding = await startGateway(ctx, 'growth-full');
  const full_merchants = await seedMerchants(seeding, GROWTH_MERCHANTS, sim);
  await seeding.worker.ask({ cmd: 'close' });
  await seeding.worker.stop();
  const build = bulkInsertPayments(
    join(ctx.work_dir, 'growth-full', 'paymux.sqlite'),
    full_merchants,
    growth_rows,
    Date.now(),
  );
  console.log(
    `growth: built ${build.rows} stored payments in ${fmt(build.total_ms / 1000, 1)} s (rows ${fmt(build.insert_ms / 1000, 1)} s, indexes ${fmt(build.index_ms / 1000, 1)} s), ${fmt(build.file_mb)} MB; ${JSON.stringify(build.states)}`,
  );
  const full_gw = await startGateway(ctx, 'growth-full');
  const startup_busy_s = await waitIdle(full_gw, 240);
  console.log(
    `growth: the gateway on the full database was busy ${fmt(startup_busy_s, 1)} s after start (start-up jobs; waited for before measuring)`,
  );
  const full = await runPair(full_gw, full_merchants, 'full');
  const create_ratio = ratio(full.create.requests_per_s, empty.create.requests_per_s);
  const notify_ratio = ratio(full.notify.requests_per_s, empty.notify.requests_per_s);
  console.log(createLine(`  create, empty database, ${GROWTH_MERCHANTS} merchants`, empty.create));
  console.log(createLine(`  create, ${build.rows} stored`, full.create));
  console.log(`  create full/empty: ${fmt(create_ratio, 3)} (target ≥ 0.9)`);
  console.log(notifyLine('  notify, empty database', empty.notify));
  console.log(notifyLine(`  notify, ${build.rows} stored`, full.notify));
  console.log(`  notify full/empty: ${fmt(notify_ratio, 3)} (target ≥ 0.9)`);
  results.growth = {
    merchants: GROWTH_MERCHANTS,
    build,
    startup_busy_s,
    empty,
    full,
    create_ratio_full_to_empty: create_ratio,
    notify_ratio_full_to_empty: notify_ratio,
  };
  for (const cleanup of ctx.cleanups.splice(1).reverse()) await cleanup().catch(() => {});
}

/**
 * Scenario 7, PostgreSQL: scenarios 1–3 with two gateway processes on one PostgreSQL database (a
 * fresh one, dropped afterwards), the load split evenly across them; set beside the SQLite figures
 * of the same run when those ran.
 */
async function postgres(
  ctx: BenchContext,
  results: Record<string, unknown>,
  sqlite: { create?: CreateFigures; notify?: NotifyFigures; deliver_per_s?: number },
  bare_per_s: number,
): Promise<void> {
  const admin_url = values['pg-url']!;
  const db_name = `paymux_bench_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: admin_url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${db_name}`);
  const url = new URL(admin_url);
  url.pathname = `/${db_name}`;
  const env = { DATABASE_URL: url.href, PAYMUX_MASTER_KEY: randomBytes(32).toString('base64') };
  try {
    const sim_key_file = join(ctx.work_dir, 'pg-wechat-key.json');
    const sim = await startWechatSimulator(sim_key_file);
    ctx.cleanups.push(() => sim.stop());
    const receiver = forkWorker('./bare-worker.ts');
    ctx.cleanups.push(() => receiver.stop());
    const receiver_url = await receiver.ask<string>({ cmd: 'listen' });
    const a = await startGateway(ctx, 'pg-a', { env });
    const merchants = await seedMerchants(a, 1, sim);
    const b = await startGateway(ctx, 'pg-b', { env });
    const gateways = [a, b];
    const create = await measureCreate(ctx, gateways, {
      pay_way: 'WX_NATIVE',
      merchants,
      profile: 'pg-create',
    });
    const notify = await measureNotify(ctx, gateways, {
      merchants,
      count: notify_rows,
      platform_key_file: sim_key_file,
      notify_url: `${receiver_url}/echo`,
      profile: 'pg-notify',
    });
    const deliver = await measureDeliver(ctx, gateways, 'pg-deliver');
    const vs = (pg_v: number, sqlite_v: number | undefined) =>
      sqlite_v === undefined ? '' : `; ${fmt(ratio(pg_v, sqlite_v), 3)} × SQLite`;
    console.log(
      `${createLine('PostgreSQL, 2 gateways: create WX_NATIVE', create, { name: 'bare', per_s: bare_per_s })}${vs(create.requests_per_s, sqlite.create?.requests_per_s)}`,
    );
    console.log(
      `${notifyLine('PostgreSQL, 2 gateways: notify', notify, { name: 'bare', per_s: bare_per_s })}${vs(notify.requests_per_s, sqlite.notify?.requests_per_s)}`,
    );
    console.log(
      `PostgreSQL, 2 gateways: deliver ${deliver.delivered} events in ${fmt(deliver.elapsed_ms)} ms = ${fmt(deliver.events_per_s)} events/s (${fmt(deliver.events_per_s / bare_per_s, 3)} × bare)${vs(deliver.events_per_s, sqlite.deliver_per_s)}`,
    );
    results.postgres = {
      gateways: 2,
      create,
      notify,
      deliver,
      ratio_to_bare: {
        create: create.requests_per_s / bare_per_s,
        notify: notify.requests_per_s / bare_per_s,
        deliver: deliver.events_per_s / bare_per_s,
      },
      ratio_to_sqlite: {
        create: ratio(create.requests_per_s, sqlite.create?.requests_per_s ?? Number.NaN),
        notify: ratio(notify.requests_per_s, sqlite.notify?.requests_per_s ?? Number.NaN),
        deliver: ratio(deliver.events_per_s, sqlite.deliver_per_s ?? Number.NaN),
      },
    };
  } finally {
    for (const cleanup of ctx.cleanups.splice(1).reverse()) await cleanup().catch(() => {});
    await admin.query(`DROP DATABASE IF EXISTS ${db_name} WITH (FORCE)`).catch(() => {});
    await admin.end();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
