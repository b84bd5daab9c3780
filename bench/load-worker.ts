import { randomBytes } from 'node:crypto';
import http from 'node:http';
import autocannon from 'autocannon';
import { channelMsOfServerTiming } from '../src/http/server-timing.ts';
import { PaymuxClient } from '../src/sdk/client.ts';
import { serveWorker } from './processes.ts';

/**
 * The load generator, in its own process: autocannon with a fixed number of connections, a warm-up
 * run that is thrown away, then the measured run. Gateway requests are signed one by one, with a
 * fresh nonce and merchant order number each, as a merchant's server would send them.
 */
export interface LoadResult {
  requests_per_s: number;
  ok: number;
  non_2xx: number;
  errors: number;
  timeouts: number;
  latency_p50_ms: number;
  latency_p99_ms: number;
  latency_p999_ms: number;
  duration_s: number;
  /** With several gateway URLs: each one's own result (the load is split evenly across them). */
  parts?: LoadResult[];
}

interface LoadSpec {
  kind: 'bare' | 'create' | 'get' | 'replay';
  /** Several gateway processes: connections, rate and prepared requests are split across them. */
  urls?: string[];
  /** For 'replay': prepared requests sent once each, in order (the run ends when all are sent). */
  prepared?: Array<{ path: string; headers: Record<string, string>; body: string }>;
  /** For 'get': payments to read, one after another. */
  payment_ids?: string[];
  url: string;
  connections: number;
  duration_s: number;
  pay_way?: string;
  merchants?: Array<{ app_id: string; secret: string }>;
  /** Requests per second across all connections; absent = as fast as the server answers. */
  rate_per_s?: number;
}

const run_prefix = randomBytes(4).toString('hex');
let order_seq = 0;

function requestsFor(spec: LoadSpec): autocannon.Request[] {
  if (spec.kind === 'replay') {
    const prepared = spec.prepared ?? [];
    let next = 0;
    return [
      {
        method: 'POST',
        setupRequest: (request) => {
          const p = prepared[next++ % prepared.length]!;
          request.path = p.path;
          request.headers = p.headers;
          request.body = p.body;
          return request;
        },
      },
    ];
  }
  if (spec.kind === 'bare') {
    return [
      { method: 'POST', path: '/echo', headers: { 'content-type': 'application/json' }, body: '{"n":1}' },
    ];
  }
  const clients = (spec.merchants ?? []).map(
    (m) => new PaymuxClient({ base_url: spec.url, app_id: m.app_id, secret: m.secret }),
  );
  if (clients.length === 0) throw new Error('create load needs merchants');
  if (spec.kind === 'get') {
    const ids = spec.payment_ids ?? [];
    if (ids.length === 0) throw new Error('get load needs payment ids');
    return [
      {
        method: 'GET',
        setupRequest: (request) => {
          const seq = ++order_seq;
          const path = `/v1/payments/${ids[seq % ids.length]}`;
          request.path = path;
          request.headers = clients[0]!.signHeaders('GET', path, '');
          return request;
        },
      },
    ];
  }
  return [
    {
      method: 'POST',
      path: '/v1/payments',
      setupRequest: (request) => {
        const seq = ++order_seq;
        const client = clients[seq % clients.length]!;
        const body = JSON.stringify({
          merchant_order_no: `b${run_prefix}-${seq}`,
          pay_way: spec.pay_way ?? 'WX_NATIVE',
          amount: 1 + (seq % 5000),
          subject: 'Bench',
        });
        request.body = body;
        request.headers = {
          'content-type': 'application/json',
          ...client.signHeaders('POST', '/v1/payments', body),
        };
        return request;
      },
    },
  ];
}

/**
 * Runs the load; with several URLs, one autocannon per URL at the same time, each with its share
 * of the connections (and rate, and prepared requests). Throughputs add up; latency percentiles
 * of the whole are reported as the worse of the parts (autocannon gives no mergeable histogram).
 */
async function load(spec: LoadSpec): Promise<LoadResult> {
  const urls = spec.urls ?? [spec.url];
  if (urls.length === 1) return loadOne({ ...spec, url: urls[0]! });
  const n = urls.length;
  const parts = await Promise.all(
    urls.map((url, i) =>
      loadOne({
        ...spec,
        url,
        connections: Math.max(1, Math.round(spec.connections / n)),
        ...(spec.rate_per_s ? { rate_per_s: spec.rate_per_s / n } : {}),
        ...(spec.prepared ? { prepared: spec.prepared.filter((_, j) => j % n === i) } : {}),
      }),
    ),
  );
  const sum = (f: (r: LoadResult) => number) => parts.reduce((a, r) => a + f(r), 0);
  const max = (f: (r: LoadResult) => number) => Math.max(...parts.map(f));
  return {
    requests_per_s: sum((r) => r.requests_per_s),
    ok: sum((r) => r.ok),
    non_2xx: sum((r) => r.non_2xx),
    errors: sum((r) => r.errors),
    timeouts: sum((r) => r.timeouts),
    latency_p50_ms: max((r) => r.latency_p50_ms),
    latency_p99_ms: max((r) => r.latency_p99_ms),
    latency_p999_ms: max((r) => r.latency_p999_ms),
    duration_s: max((r) => r.duration_s),
    parts,
  };
}

async function loadOne(spec: LoadSpec): Promise<LoadResult> {
  const started = performance.now();
  let last_response = started;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: spec.url,
        connections: spec.connections,
        // A replay sends each prepared request exactly once; other runs last duration_s.
        ...(spec.kind === 'replay' ? { amount: spec.prepared?.length ?? 0 } : { duration: spec.duration_s }),
        requests: requestsFor(spec),
        timeout: 10,
        ...(spec.rate_per_s ? { overallRate: spec.rate_per_s } : {}),
      },
      (error, done) => (error ? reject(error) : resolve(done)),
    );
    instance.on('response', () => {
      last_response = performance.now();
    });
  });
  // autocannon's duration has a resolution of a second, and it resolves on its next one-second tick
  // after the last answer: a replay (a fixed count, a few seconds) is timed to its last response.
  const duration_s = spec.kind === 'replay' ? (last_response - started) / 1000 : result.duration;
  return {
    requests_per_s: result['2xx'] / duration_s,
    ok: result['2xx'],
    non_2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    latency_p50_ms: result.latency.p50,
    latency_p99_ms: result.latency.p99,
    latency_p999_ms: result.latency.p99_9,
    duration_s,
  };
}

export interface Percentiles {
  p50: number;
  p99: number;
  p999: number;
  max: number;
}
export interface LatencyResult {
  rate_per_s: number;
  achieved_per_s: number;
  sent: number;
  ok: number;
  non_2xx: number;
  errors: number;
  /** Requests whose response lacked the gateway's timing headers. */
  untimed: number;
  /** As the merchant sees it: request written → response body read, in this process. */
  total_ms: Percentiles;
  /** The gateway's channel exchanges for the request, as its Server-Timing header reports them. */
  channel_ms: Percentiles;
  /** What the gateway adds: total minus channel time, request by request. */
  added_ms: Percentiles;
  /** The same, counted inside the gateway only (request event → response head, minus channel). */
  added_in_gateway_ms: Percentiles;
}

function percentiles(values: number[]): Percentiles {
  const sorted = Float64Array.from(values).sort();
  const at = (p: number) =>
    sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
  return { p50: at(0.5), p99: at(0.99), p999: at(0.999), max: at(1) };
}

/**
 * Open-loop load at a fixed rate (requests are sent on schedule whatever the answers are doing),
 * with each request's latency taken here and its channel time read from the gateway's
 * Server-Timing header. Only this gives per-request "total minus channel".
 */
async function latencyRun(spec: LoadSpec & { rate_per_s: number; bare?: boolean }): Promise<LatencyResult> {
  const target = new URL(spec.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
  const m = spec.merchants?.[0];
  if (!m && !spec.bare) throw new Error('latency load needs a merchant');
  const client = m ? new PaymuxClient({ base_url: spec.url, app_id: m.app_id, secret: m.secret }) : null;
  const path = spec.bare ? '/echo' : '/v1/payments';
  const total: number[] = [];
  const channel: number[] = [];
  const added: number[] = [];
  const added_in_gateway: number[] = [];
  let ok = 0;
  let non_2xx = 0;
  let errors = 0;
  let untimed = 0;
  const count = Math.max(1, Math.round(spec.rate_per_s * spec.duration_s));
  const interval_ms = 1000 / spec.rate_per_s;
  const inflight = new Set<Promise<void>>();
  const send = (): Promise<void> =>
    new Promise((resolve) => {
      const seq = ++order_seq;
      const body = spec.bare
        ? '{"n":1}'
        : JSON.stringify({
            merchant_order_no: `l${run_prefix}-${seq}`,
            pay_way: spec.pay_way ?? 'WX_NATIVE',
            amount: 1 + (seq % 5000),
            subject: 'Bench',
          });
      const headers = {
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
        ...(client ? client.signHeaders('POST', path, body) : {}),
      };
      const started = performance.now();
      const req = http.request(
        { host: target.hostname, port: target.port, path, method: 'POST', headers, agent },
        (res) => {
          res.resume();
          res.on('end', () => {
            const elapsed = performance.now() - started;
            const status = res.statusCode ?? 0;
            if (status < 200 || status >= 300) non_2xx++;
            else {
              ok++;
              // The bare reference calls no channel and has no instrumentation; the gateway
              // reports the channel's time itself (Server-Timing: channel;dur=…).
              const channel_ms = spec.bare ? 0 : channelMsOfServerTiming(res.headers['server-timing']);
              const server_ms = spec.bare ? Number.NaN : Number(res.headers['x-bench-server-ms']);
              if (!Number.isFinite(channel_ms) || (!spec.bare && !Number.isFinite(server_ms))) untimed++;
              else {
                total.push(elapsed);
                channel.push(channel_ms);
                added.push(elapsed - channel_ms);
                added_in_gateway.push(server_ms - channel_ms);
              }
            }
            resolve();
          });
        },
      );
      req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end(body);
    });
  const t0 = performance.now();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(count, Math.floor((performance.now() - t0) / interval_ms) + 1);
      while (sent < due) {
        sent++;
        const p = send().then(() => {
          inflight.delete(p);
        });
        inflight.add(p);
      }
      if (sent < count) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
  await Promise.all(inflight);
  const elapsed_s = (performance.now() - t0) / 1000;
  agent.destroy();
  return {
    rate_per_s: spec.rate_per_s,
    achieved_per_s: ok / elapsed_s,
    sent,
    ok,
    non_2xx,
    errors,
    untimed,
    total_ms: percentiles(total),
    channel_ms: percentiles(channel),
    added_ms: percentiles(added),
    added_in_gateway_ms: percentiles(added_in_gateway),
  };
}

serveWorker(async (message) => {
  if (message.cmd === 'load') return load(message.spec as LoadSpec);
  if (message.cmd === 'latency')
    return latencyRun(message.spec as LoadSpec & { rate_per_s: number; bare?: boolean });
  throw new Error(`unknown command ${String(message.cmd)}`);
});
