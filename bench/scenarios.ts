import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchMerchant } from './gateway-worker.ts';
import type { LoadResult } from './load-worker.ts';
import { forkWorker, type SimulatorProcess, type Worker } from './processes.ts';
import { makeWechatNotifications } from './wechat-notifications.ts';

/**
 * The measuring steps the scenarios share: a gateway process, a create run, a notify run and a
 * delivery run, each over one or more gateway processes (PostgreSQL runs two), with the gateways'
 * own CPU time and commit counts read around the measured window.
 */
export interface BenchContext {
  loader: Worker;
  work_dir: string;
  duration_s: number;
  warmup_s: number;
  connections: number;
  profile_dir: string | undefined;
  /** Stopped at the end of the run, last first, whatever happened. */
  cleanups: Array<() => Promise<void>>;
}

export interface Gateway {
  worker: Worker;
  url: string;
}

interface CpuUsage {
  user: number;
  system: number;
  elu?: { idle: number; active: number; utilization: number };
  commits?: number;
  transactions?: number;
  unflushed_commits?: number;
}

/** A gateway process on its own data directory (SQLite) or on DATABASE_URL from `env`. */
export async function startGateway(
  ctx: BenchContext,
  name: string,
  options: { env?: Record<string, string>; channel_timing?: boolean } = {},
): Promise<Gateway> {
  const worker = forkWorker('./gateway-worker.ts', options.env ?? {});
  ctx.cleanups.push(() => worker.stop());
  const { url } = await worker.ask<{ url: string }>({
    cmd: 'start',
    data_dir: join(ctx.work_dir, name),
    channel_timing: options.channel_timing ?? false,
  });
  return { worker, url };
}

/**
 * Waits until the gateway process has been idle (under 5 % of a core over half a second) twice in
 * a row, at most `max_s`; returns the seconds it was busy. A gateway's start-up jobs (the daily
 * reconciliation of yesterday runs at start) must not land in a measured window.
 */
export async function waitIdle(gateway: Gateway, max_s = 120): Promise<number> {
  const started = performance.now();
  let quiet = 0;
  let last = await gateway.worker.ask<CpuUsage>({ cmd: 'cpu' });
  while (quiet < 2 && performance.now() - started < max_s * 1000) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const now = await gateway.worker.ask<CpuUsage>({ cmd: 'cpu' });
    quiet = (now.user - last.user + now.system - last.system) / 1000 < 25 ? quiet + 1 : 0;
    last = now;
  }
  return (performance.now() - started) / 1000;
}

export function seedMerchants(
  gateway: Gateway,
  count: number,
  sim: SimulatorProcess,
  alipay?: { url: string; gateway_url: string; alipay_public_key_pem: string },
): Promise<BenchMerchant[]> {
  return gateway.worker.ask<BenchMerchant[]>({
    cmd: 'seed',
    count,
    sim: { url: sim.url, public_key_id: sim.public_key_id, public_key_pem: sim.public_key_pem },
    ...(alipay
      ? {
          alipay: {
            url: alipay.url,
            gateway_url: alipay.gateway_url,
            alipay_public_key_pem: alipay.alipay_public_key_pem,
          },
        }
      : {}),
  });
}

const sumCpu = async (gateways: Gateway[]) => {
  const all = await Promise.all(gateways.map((g) => g.worker.ask<CpuUsage>({ cmd: 'cpu' })));
  return all;
};
const cpuMsBetween = (a: CpuUsage[], b: CpuUsage[]) =>
  a.reduce((t, x, i) => t + (b[i]!.user - x.user + b[i]!.system - x.system) / 1000, 0);
const eluBetween = (a: CpuUsage[], b: CpuUsage[]) => {
  const shares = a.map((x, i) => {
    const y = b[i]!;
    if (!x.elu || !y.elu) return Number.NaN;
    const active = y.elu.active - x.elu.active;
    return active / (active + y.elu.idle - x.elu.idle);
  });
  return shares.reduce((s, v) => s + v, 0) / shares.length;
};
const diff = (a: CpuUsage[], b: CpuUsage[], f: (c: CpuUsage) => number | undefined) =>
  a.reduce((t, x, i) => t + ((f(b[i]!) ?? 0) - (f(x) ?? 0)), 0);

export async function profiled<T>(
  ctx: BenchContext,
  gateways: Gateway[],
  file: string | undefined,
  run: () => Promise<T>,
): Promise<T> {
  if (!ctx.profile_dir || !file) return run();
  mkdirSync(ctx.profile_dir, { recursive: true });
  await Promise.all(gateways.map((g) => g.worker.ask({ cmd: 'profile_start' })));
  try {
    return await run();
  } finally {
    await Promise.all(
      gateways.map((g, i) =>
        g.worker.ask({
          cmd: 'profile_stop',
          file: join(ctx.profile_dir!, `${file}${gateways.length > 1 ? `-${i}` : ''}.cpuprofile`),
        }),
      ),
    );
  }
}

export interface CreateFigures extends LoadResult {
  pay_way: string;
  merchants: number;
  gateway_cpu_per_payment_ms: number;
  gateway_event_loop_busy: number;
  commits_per_payment: number;
  transactions_per_commit: number;
  /** Commits that waited for the disk, per payment. */
  flushed_commits_per_payment: number;
}

/** Scenario 1: signed create-payment requests at full rate (or `rate_per_s`), after a warm-up. */
export async function measureCreate(
  ctx: BenchContext,
  gateways: Gateway[],
  options: { pay_way: string; merchants: BenchMerchant[]; rate_per_s?: number; profile?: string },
): Promise<CreateFigures> {
  const spec = {
    kind: 'create',
    url: gateways[0]!.url,
    urls: gateways.map((g) => g.url),
    connections: ctx.connections,
    pay_way: options.pay_way,
    merchants: options.merchants.map((m) => ({ app_id: m.app_id, secret: m.secret })),
    ...(options.rate_per_s ? { rate_per_s: options.rate_per_s } : {}),
  };
  if (ctx.warmup_s > 0)
    await ctx.loader.ask<LoadResult>({ cmd: 'load', spec: { ...spec, duration_s: ctx.warmup_s } });
  return profiled(ctx, gateways, options.profile, async () => {
    const before = await sumCpu(gateways);
    const result = await ctx.loader.ask<LoadResult>({
      cmd: 'load',
      spec: { ...spec, duration_s: ctx.duration_s },
    });
    const after = await sumCpu(gateways);
    const ok = Math.max(result.ok, 1);
    const commits = diff(before, after, (c) => c.commits);
    return {
      ...result,
      pay_way: options.pay_way,
      merchants: options.merchants.length,
      gateway_cpu_per_payment_ms: cpuMsBetween(before, after) / ok,
      gateway_event_loop_busy: eluBetween(before, after),
      commits_per_payment: commits / ok,
      transactions_per_commit: diff(before, after, (c) => c.transactions) / Math.max(commits, 1),
      flushed_commits_per_payment: (commits - diff(before, after, (c) => c.unflushed_commits)) / ok,
    };
  });
}

export interface NotifyFigures extends LoadResult {
  merchants: number;
  gateway_cpu_per_notification_ms: number;
  payment_states: Record<string, number>;
}

/**
 * Scenario 2: genuine signed and encrypted TRANSACTION.SUCCESS notifications for `count` waiting
 * payments spread round-robin over `merchants`, each sent once at full rate. The deliverers are
 * stopped first, so the events wait for `measureDeliver`.
 */
export async function measureNotify(
  ctx: BenchContext,
  gateways: Gateway[],
  options: {
    merchants: BenchMerchant[];
    count: number;
    platform_key_file: string;
    notify_url: string;
    profile?: string;
  },
): Promise<NotifyFigures> {
  for (const g of gateways) await g.worker.ask({ cmd: 'deliverer_stop' });
  const pending = await gateways[0]!.worker.ask<Array<{ id: string; amount_fen: number; merchant: number }>>({
    cmd: 'seed_pending',
    count: options.count,
    merchants: options.merchants.map((m) => ({
      merchant_id: m.merchant_id,
      app_id: m.app_id,
      channel_account_id: m.channel_account_id,
    })),
    notify_url: options.notify_url,
  });
  const prepared = await makeWechatNotifications(
    options.platform_key_file,
    options.merchants.map((m) => ({
      account_id: m.channel_account_id,
      mchid: m.mchid,
      appid: m.appid,
      apiv3_key: m.apiv3_key,
    })),
    pending,
  );
  return profiled(ctx, gateways, options.profile, async () => {
    const before = await sumCpu(gateways);
    const result = await ctx.loader.ask<LoadResult>({
      cmd: 'load',
      spec: {
        kind: 'replay',
        url: gateways[0]!.url,
        urls: gateways.map((g) => g.url),
        connections: ctx.connections,
        prepared,
      },
    });
    const after = await sumCpu(gateways);
    return {
      ...result,
      merchants: options.merchants.length,
      gateway_cpu_per_notification_ms: cpuMsBetween(before, after) / Math.max(result.ok, 1),
      payment_states: await gateways[0]!.worker.ask<Record<string, number>>({ cmd: 'count' }),
    };
  });
}

export interface DeliverFigures {
  delivered: number;
  elapsed_ms: number;
  events_per_s: number;
}

/** Scenario 3: every due event delivered by the gateways' deliverers at once; timed until all are done. */
export async function measureDeliver(
  ctx: BenchContext,
  gateways: Gateway[],
  profile?: string,
): Promise<DeliverFigures> {
  return profiled(ctx, gateways, profile, async () => {
    const started = performance.now();
    const parts = await Promise.all(
      gateways.map((g) => g.worker.ask<{ delivered: number; elapsed_ms: number }>({ cmd: 'deliver_all' })),
    );
    const elapsed_ms = performance.now() - started;
    const delivered = parts.reduce((t, p) => t + p.delivered, 0);
    return { delivered, elapsed_ms, events_per_s: (delivered / elapsed_ms) * 1000 };
  });
}

export const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

export function createLine(label: string, c: CreateFigures, ref?: { name: string; per_s: number }): string {
  const ratio = ref ? ` (${fmt(c.requests_per_s / ref.per_s, 3)} × ${ref.name})` : '';
  return (
    `${label}: ${fmt(c.requests_per_s)} payments/s${ratio}, p50 ${c.latency_p50_ms} ms, p99 ${c.latency_p99_ms} ms, ` +
    `non-2xx ${c.non_2xx}, errors ${c.errors}; gateway CPU ${fmt(c.gateway_cpu_per_payment_ms, 3)} ms/payment, ` +
    `event loop ${fmt(c.gateway_event_loop_busy * 100)}% busy, ${fmt(c.commits_per_payment, 2)} commits/payment, ` +
    `${fmt(c.transactions_per_commit, 1)} transactions/commit, ${fmt(c.flushed_commits_per_payment, 2)} flushed`
  );
}

export function notifyLine(label: string, n: NotifyFigures, ref?: { name: string; per_s: number }): string {
  const ratio = ref ? ` (${fmt(n.requests_per_s / ref.per_s, 3)} × ${ref.name})` : '';
  return (
    `${label}: ${fmt(n.requests_per_s)} notifications/s${ratio}, p50 ${n.latency_p50_ms} ms, p99 ${n.latency_p99_ms} ms, ` +
    `non-2xx ${n.non_2xx}; gateway CPU ${fmt(n.gateway_cpu_per_notification_ms, 3)} ms/notification; states ${JSON.stringify(n.payment_states)}`
  );
}
