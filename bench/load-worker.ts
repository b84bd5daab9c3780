import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
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
}

interface LoadSpec {
  kind: 'bare' | 'create' | 'get' | 'replay';
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

async function load(spec: LoadSpec): Promise<LoadResult> {
  const result = await autocannon({
    url: spec.url,
    connections: spec.connections,
    // A replay sends each prepared request exactly once; other runs last duration_s.
    ...(spec.kind === 'replay' ? { amount: spec.prepared?.length ?? 0 } : { duration: spec.duration_s }),
    requests: requestsFor(spec),
    timeout: 10,
    ...(spec.rate_per_s ? { overallRate: spec.rate_per_s } : {}),
  });
  const duration_s = result.duration;
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

serveWorker(async (message) => {
  if (message.cmd === 'load') return load(message.spec as LoadSpec);
  throw new Error(`unknown command ${String(message.cmd)}`);
});
