import type { FastifyReply, FastifyRequest } from 'fastify';
import { unixSeconds } from '../../../domain/clock.ts';
import type { FaultRule } from '../../simulator-kit/faults.ts';
import { isRecord, parseJson } from '../wire.ts';
import { authenticate } from './auth.ts';
import type { SimCore } from './core.ts';
import type { SimMerchant } from './merchants.ts';
import type { PlatformSigner, SigningKey } from './signer.ts';

/**
 * How every APIv3 route of the simulator answers: authenticate (401 SIGN_ERROR), apply the faults
 * the plan holds for this operation and order, serve, and sign the reply — errors included — with
 * the key WeChat would use for this merchant (public key or platform certificate).
 */
export interface Answer {
  status: number;
  /** null: empty body (204). */
  payload: object | null;
  /** Sign with this key instead of the merchant's usual one (certificate downloads). */
  sign_with?: SigningKey;
}

export function error(status: number, code: string, message: string, detail?: object): Answer {
  return { status, payload: { code, message, ...(detail ? { detail } : {}) } };
}

export function paramError(field: string, issue: string, location: 'body' | 'query' = 'body'): Answer {
  return error(400, 'PARAM_ERROR', '参数错误', { location, field, issue });
}

export const ORDER_NOT_EXIST = error(404, 'ORDER_NOT_EXIST', '订单不存在');
export const SYSTEM_ERROR = error(500, 'SYSTEM_ERROR', '系统繁忙，请稍后重试');

/** Serialises once, signs those exact bytes, sends them. */
export async function sendSigned(
  reply: FastifyReply,
  signer: PlatformSigner,
  answer: Answer,
  key?: SigningKey,
): Promise<FastifyReply> {
  const body = answer.payload === null ? '' : JSON.stringify(answer.payload);
  reply.code(answer.status).headers(await signer.headersFor(body, answer.sign_with ?? key));
  if (body !== '') reply.type('application/json; charset=utf-8');
  return reply.send(body);
}

export interface RouteContext {
  merchant: SimMerchant;
  request: FastifyRequest;
  body: string;
  faults: readonly FaultRule[];
}

export interface RouteSpec {
  /** The fault-plan operation name. */
  operation: string;
  /** The order a per-order fault is matched against. */
  orderOf?: (request: FastifyRequest, body: string) => string | undefined;
  handler: (route: RouteContext) => Answer | Promise<Answer>;
}

/** A timed-out request is held this long at most, then its connection is cut. */
const HANG_MAX_MS = 120_000;

export function outTradeNoInBody(_request: FastifyRequest, body: string): string | undefined {
  const json = parseJson(body);
  return isRecord(json) && typeof json.out_trade_no === 'string' ? json.out_trade_no : undefined;
}

export function outTradeNoInPath(request: FastifyRequest): string | undefined {
  return (request.params as { out_trade_no?: string }).out_trade_no;
}

function hang(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  // The request was served; its answer is lost, as when WeChat's reply never reaches the merchant.
  reply.hijack();
  const socket = request.raw.socket;
  setTimeout(() => socket.destroy(), HANG_MAX_MS).unref();
  return reply;
}

export function signedRoute(core: SimCore, spec: RouteSpec) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const body = typeof request.body === 'string' ? request.body : '';
    const auth = authenticate(
      {
        authorization: request.headers.authorization,
        method: request.method,
        canonical_url: request.raw.url ?? request.url,
        body,
      },
      core.merchants,
      unixSeconds(core.clock),
    );
    if (!auth.ok)
      return sendSigned(
        reply,
        core.signer,
        error(401, 'SIGN_ERROR', '错误的签名，验签失败', { issue: auth.issue }),
      );
    const key = await core.replyKeyFor(auth.merchant);
    const faults = core.faults.take(spec.operation, spec.orderOf?.(request, body));
    const has = (kind: FaultRule['kind']) => faults.find((rule) => rule.kind === kind);
    const latency = has('latency_ms');
    if (latency) await core.delay(latency.latency_ms ?? 0);
    if (has('system_error')) return sendSigned(reply, core.signer, SYSTEM_ERROR, key);
    const answer = await spec.handler({ merchant: auth.merchant, request, body, faults });
    if (has('timeout')) return hang(request, reply);
    if (has('http_500')) {
      // A front-end 5xx: unsigned, as a proxy in front of WeChat would send it.
      return reply.code(500).type('application/json').send('{"code":"SYSTEM_ERROR","message":"系统错误"}');
    }
    return sendSigned(reply, core.signer, answer, key);
  };
}
