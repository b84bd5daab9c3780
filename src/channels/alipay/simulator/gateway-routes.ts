import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FaultRule } from '../../simulator-kit/faults.ts';
import { METHOD } from '../wire.ts';
import type { SimApp } from './apps.ts';
import { authenticate, collectParams } from './auth.ts';
import { BILL_PATH, billDownloadUrl } from './bill-method.ts';
import { cashierPage, errorPage } from './cashier.ts';
import type { SimCore } from './core.ts';
import { type MethodHandler, text } from './method-context.ts';
import { refund, refundQuery } from './refunds.ts';
import {
  invalidArguments,
  SERVICE_UNAVAILABLE,
  type SimResult,
  success,
  TRADE_SYSTEM_ERROR,
} from './results.ts';
import { signedReplyBody } from './signer.ts';
import { create, openTrade, pay, precreate } from './trade-create.ts';
import { cancel, close, query } from './trade-ops.ts';
import { oauthTokenAnswer } from './wallet-routes.ts';

/**
 * POST (or GET) /gateway.do, as the real gateway takes it: parameters form-encoded in the body
 * and/or the query string. Server-to-server methods answer signed JSON; page-pay and wap-pay
 * requests, which arrive in the payer's browser, answer the cashier page. Faults from the shared
 * plan are applied here, per operation and order.
 */

interface ApiMethod {
  handler: MethodHandler;
  /** The FaultPlan operation name. */
  operation: string;
  /** What system_error answers instead of doing the work. */
  system_error: (out_trade_no: string | undefined) => SimResult;
}

const tradeBusy = () => TRADE_SYSTEM_ERROR;
const API_METHODS: Readonly<Record<string, ApiMethod>> = {
  [METHOD.precreate]: { handler: precreate, operation: 'create', system_error: tradeBusy },
  [METHOD.pay]: { handler: pay, operation: 'create', system_error: tradeBusy },
  [METHOD.create]: { handler: create, operation: 'create', system_error: tradeBusy },
  [METHOD.query]: { handler: query, operation: 'query', system_error: tradeBusy },
  [METHOD.close]: { handler: close, operation: 'close', system_error: tradeBusy },
  // Alipay's way of saying "busy, cancel again": success with retry_flag=Y, nothing done.
  [METHOD.cancel]: {
    handler: cancel,
    operation: 'reverse',
    system_error: (out_trade_no) => success({ out_trade_no, retry_flag: 'Y' }),
  },
  [METHOD.refund]: { handler: refund, operation: 'refund', system_error: tradeBusy },
  [METHOD.refund_query]: { handler: refundQuery, operation: 'refund_query', system_error: tradeBusy },
  [METHOD.bill_url]: { handler: billDownloadUrl, operation: 'bill', system_error: () => SERVICE_UNAVAILABLE },
};
const PAGE_METHODS: Readonly<Record<string, 'wap' | 'page'>> = {
  [METHOD.wap_pay]: 'wap',
  [METHOD.page_pay]: 'page',
};

/** A hung request is let go after this long even if the client waits on. */
const HANG_MAX_MS = 120_000;
const LATENCY_MAX_MS = 60_000;

export function originOf(request: FastifyRequest): string {
  return `${request.protocol}://${request.headers.host ?? 'localhost'}`;
}

async function sendSigned(
  reply: FastifyReply,
  core: SimCore,
  method: string,
  result: SimResult,
  app: SimApp | undefined,
): Promise<FastifyReply> {
  const cert_sn = app?.app_cert_sn !== undefined ? core.identity.certs?.alipay_cert_sn : undefined;
  const body = await signedReplyBody(core.identity.private_key_pem, method, result, cert_sn);
  return reply.code(200).type('application/json;charset=utf-8').send(body);
}

/** Accepts the request and never answers, until the client gives up (or HANG_MAX_MS). */
async function hang(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  reply.hijack();
  const socket = request.raw.socket;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, HANG_MAX_MS);
    timer.unref();
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  socket.destroy();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.min(ms, LATENCY_MAX_MS)));
}

async function landing(
  core: SimCore,
  reply: FastifyReply,
  request: FastifyRequest,
  params: Record<string, string>,
) {
  const auth = authenticate(core, params, originOf(request));
  reply.type('text/html; charset=utf-8');
  if (!auth.ok) return reply.code(200).send(errorPage(auth.result));
  const product = PAGE_METHODS[params.method!]!;
  const opened = await openTrade({ core, caller: auth.caller, biz: auth.biz, faults: [] }, product);
  return reply.code(200).send(opened.ok ? cashierPage(opened.order) : errorPage(opened.result));
}

export function registerGatewayRoutes(app: FastifyInstance, core: SimCore): void {
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const body = typeof request.body === 'string' ? request.body : undefined;
    const params = collectParams(request.raw.url ?? '', body);
    if (!params) {
      return sendSigned(reply, core, '', invalidArguments('isv.invalid-parameter', '参数重复'), undefined);
    }
    const method = params.method ?? '';
    if (Object.hasOwn(PAGE_METHODS, method)) return landing(core, reply, request, params);
    const auth = authenticate(core, params, originOf(request));
    if (!auth.ok) return sendSigned(reply, core, method, auth.result, auth.app);
    if (method === METHOD.oauth_token) {
      // Arguments come as request parameters; errors come as error_response, success without code.
      const faults = core.faults.take('oauth_token');
      const latency_ms = faults.reduce(
        (sum, f) => sum + (f.kind === 'latency_ms' ? (f.latency_ms ?? 0) : 0),
        0,
      );
      if (latency_ms > 0) await sleep(latency_ms);
      if (faults.some((f) => f.kind === 'timeout')) return hang(request, reply);
      if (faults.some((f) => f.kind === 'http_500'))
        return reply.code(500).type('text/html; charset=utf-8').send('<html><body>500</body></html>');
      const answer = faults.some((f) => f.kind === 'system_error')
        ? { error: true, result: SERVICE_UNAVAILABLE }
        : oauthTokenAnswer(core, auth.caller, params);
      return sendSigned(reply, core, answer.error ? '' : method, answer.result as SimResult, auth.caller.app);
    }
    const spec = API_METHODS[method];
    if (!spec) {
      // app.pay is signed offline and carried by the Alipay app, never sent to the gateway.
      return sendSigned(
        reply,
        core,
        method,
        invalidArguments('isv.invalid-method', '不存在的方法名'),
        auth.caller.app,
      );
    }
    const out_trade_no = text(auth.biz, 'out_trade_no');
    const faults: FaultRule[] = core.faults.take(spec.operation, out_trade_no);
    const latency_ms = faults.reduce(
      (sum, f) => sum + (f.kind === 'latency_ms' ? (f.latency_ms ?? 0) : 0),
      0,
    );
    if (latency_ms > 0) await sleep(latency_ms);
    if (faults.some((f) => f.kind === 'http_500')) {
      return reply
        .code(500)
        .type('text/html; charset=utf-8')
        .send('<html><body>500 Internal Server Error</body></html>');
    }
    const result = faults.some((f) => f.kind === 'system_error')
      ? spec.system_error(out_trade_no)
      : await spec.handler({ core, caller: auth.caller, biz: auth.biz, faults });
    // The work is done (or refused) but the answer is lost: exactly the ambiguity of a timeout.
    if (faults.some((f) => f.kind === 'timeout')) return hang(request, reply);
    return sendSigned(reply, core, method, result, auth.caller.app);
  };
  app.post('/gateway.do', handler);
  app.get('/gateway.do', handler);

  app.get(BILL_PATH, async (request, reply) => {
    const token = (request.query as Record<string, unknown>).token;
    const content = typeof token === 'string' ? core.bills.get(token) : undefined;
    if (content === undefined)
      return reply.code(404).type('text/plain; charset=utf-8').send('bill not found or expired');
    return reply.code(200).type('text/csv; charset=utf-8').send(content);
  });
}
