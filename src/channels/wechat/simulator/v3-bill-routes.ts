import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { unixSeconds } from '../../../domain/clock.ts';
import { alphanumericNonce } from '../../../domain/random.ts';
import { type Answer, paramError, type RouteContext, signedRoute } from './answers.ts';
import { authenticate } from './auth.ts';
import { tradeBillCsv } from './bill-file.ts';
import type { SimCore } from './core.ts';
import { NO_AUTH, queryOf, subMerchantOf } from './pay-ids.ts';

/**
 * The trade bill (protocols.md §1.7): GET /v3/bill/tradebill answers a signed ticket — SHA1 of the
 * bill before compression, and a download URL valid 30 s — and GET /v3/billdownload/file answers
 * the file itself, gzip when asked, authenticated like any request but NOT signed (as WeChat does).
 * Deviation: WeChat publishes day D's bill after 10:00 on D+1; the simulator answers any day at
 * once (an empty bill when nothing happened), so tests need not wait for tomorrow.
 */
const TICKET_TTL_MS = 30_000;
const TICKETS_MAX = 1_000;

interface Ticket {
  mchid: string;
  file: Buffer;
  gzip: boolean;
  expires_at_ms: number;
}

export class BillTickets {
  private readonly tickets = new Map<string, Ticket>();

  add(token: string, ticket: Ticket, now_ms: number): void {
    for (const [key, old] of this.tickets) if (old.expires_at_ms <= now_ms) this.tickets.delete(key);
    if (this.tickets.size >= TICKETS_MAX) {
      const oldest = this.tickets.keys().next();
      if (!oldest.done) this.tickets.delete(oldest.value);
    }
    this.tickets.set(token, ticket);
  }

  get(token: string, now_ms: number): Ticket | undefined {
    const ticket = this.tickets.get(token);
    return ticket && ticket.expires_at_ms > now_ms ? ticket : undefined;
  }
}

function ticketFor(core: SimCore, tickets: BillTickets, route: RouteContext): Answer {
  const query = queryOf(route.request);
  const bill_date = query.bill_date;
  if (typeof bill_date !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(bill_date))
    return paramError('bill_date', 'must be YYYY-MM-DD', 'query');
  if (query.bill_type !== undefined && query.bill_type !== 'ALL')
    return paramError('bill_type', 'only ALL is simulated', 'query');
  if (query.tar_type !== undefined && query.tar_type !== 'GZIP')
    return paramError('tar_type', 'must be GZIP', 'query');
  const sub = query.sub_mchid;
  if (sub !== undefined && (typeof sub !== 'string' || !subMerchantOf(route.merchant, sub))) return NO_AUTH;
  const csv = tradeBillCsv(
    {
      mchid: route.merchant.mchid,
      ...(typeof sub === 'string' ? { sub_mchid: sub } : {}),
      bill_date,
      faultsFor: (out_trade_no) => core.faults.take('bill', out_trade_no),
    },
    core.orders.all(),
    core.refunds.all(),
  );
  const plain = Buffer.from(csv, 'utf8');
  const gzip = query.tar_type === 'GZIP';
  const token = alphanumericNonce(core.random, 32);
  const now_ms = core.clock.now_ms();
  tickets.add(
    token,
    {
      mchid: route.merchant.mchid,
      file: gzip ? gzipSync(plain) : plain,
      gzip,
      expires_at_ms: now_ms + TICKET_TTL_MS,
    },
    now_ms,
  );
  const origin = `${route.request.protocol}://${route.request.headers.host ?? '127.0.0.1'}`;
  return {
    status: 200,
    payload: {
      hash_type: 'SHA1',
      hash_value: createHash('sha1').update(plain).digest('hex'),
      download_url: `${origin}/v3/billdownload/file?token=${token}`,
    },
  };
}

async function downloadFile(
  core: SimCore,
  tickets: BillTickets,
  request: FastifyRequest,
  reply: FastifyReply,
) {
  const auth = authenticate(
    {
      authorization: request.headers.authorization,
      method: 'GET',
      canonical_url: request.raw.url ?? request.url,
      body: '',
    },
    core.merchants,
    unixSeconds(core.clock),
  );
  if (!auth.ok)
    return reply
      .code(401)
      .send({ code: 'SIGN_ERROR', message: '错误的签名，验签失败', detail: { issue: auth.issue } });
  const token = queryOf(request).token;
  const ticket = typeof token === 'string' ? tickets.get(token, core.clock.now_ms()) : undefined;
  if (!ticket || ticket.mchid !== auth.merchant.mchid)
    return reply.code(404).send({ code: 'RESOURCE_NOT_EXISTS', message: '下载地址已过期' });
  return reply
    .code(200)
    .type(ticket.gzip ? 'application/x-gzip' : 'text/csv; charset=utf-8')
    .send(ticket.file);
}

export function registerBillRoutes(app: FastifyInstance, core: SimCore): void {
  const tickets = new BillTickets();
  app.get(
    '/v3/bill/tradebill',
    signedRoute(core, { operation: 'bill', handler: (route) => ticketFor(core, tickets, route) }),
  );
  app.get('/v3/billdownload/file', (request, reply) => downloadFile(core, tickets, request, reply));
}
