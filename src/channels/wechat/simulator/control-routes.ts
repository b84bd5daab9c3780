import type { FastifyInstance } from 'fastify';
import { isRecord, parseJson } from '../wire.ts';
import type { SimCore } from './core.ts';
import { SIM_KEY_MODES, type SimKeyMode } from './merchants.ts';
import { refundReplyOf } from './refunds.ts';

/**
 * The simulator's own control endpoints under /sim: what in real life happens off the API (a
 * merchant signing up, a payer paying or giving up, a refund settling, WeChat rotating its
 * certificate, a merchant switching to the public key), faults on demand (POST/DELETE /sim/faults,
 * the shared FaultPlan) and a window on the state. Plain JSON, unsigned; the simulator listens on
 * loopback only.
 */
const SETTLE_STATUSES = ['SUCCESS', 'ABNORMAL', 'CLOSED'] as const;

function bodyOf(request: { body: unknown }): unknown {
  return parseJson(typeof request.body === 'string' && request.body !== '' ? request.body : '{}');
}
const PAY_FAILURE_STATUS = {
  ORDER_NOT_EXIST: 404,
  ORDER_CLOSED: 409,
  ORDER_EXPIRED: 409,
  NOTIFICATION_QUEUE_FULL: 503,
} as const;

export function registerControlRoutes(app: FastifyInstance, core: SimCore): void {
  app.post('/sim/merchants', async (request, reply) => {
    const body = parseJson(typeof request.body === 'string' ? request.body : '');
    try {
      const merchant = core.merchants.register(body);
      return reply.code(201).send({ mchid: merchant.mchid, appid: merchant.appid });
    } catch (error) {
      return reply.code(400).send({ code: 'INVALID_MERCHANT', message: (error as Error).message });
    }
  });

  app.post('/sim/orders/:out_trade_no/pay', async (request, reply) => {
    const { out_trade_no } = request.params as { out_trade_no: string };
    const result = core.pay(out_trade_no);
    if (result.ok) return reply.code(200).send(result.order);
    return reply.code(PAY_FAILURE_STATUS[result.code]).send({ code: result.code, message: result.message });
  });

  app.get('/sim/orders/:out_trade_no', async (request, reply) => {
    const { out_trade_no } = request.params as { out_trade_no: string };
    const order = core.orders.get(out_trade_no);
    if (!order)
      return reply.code(404).send({ code: 'ORDER_NOT_EXIST', message: 'no order with this out_trade_no' });
    return reply.code(200).send(core.view(order));
  });

  app.post('/sim/orders/:out_trade_no/fail', async (request, reply) => {
    const { out_trade_no } = request.params as { out_trade_no: string };
    if (!core.failUserPaying(out_trade_no))
      return reply.code(409).send({ code: 'NOT_USERPAYING', message: 'no order waiting for the payer' });
    return reply.code(200).send(core.view(core.orders.get(out_trade_no)!));
  });

  app.get('/sim/faults', async (_request, reply) => reply.code(200).send({ rules: core.faults.list() }));
  app.post('/sim/faults', async (request, reply) => {
    try {
      return reply.code(201).send(core.faults.add(bodyOf(request)));
    } catch (error) {
      return reply.code(400).send({ code: 'INVALID_FAULT', message: (error as Error).message });
    }
  });
  app.delete('/sim/faults', async (_request, reply) => {
    core.faults.clear();
    return reply.code(204).send();
  });

  /** Releases withheld notifications: all, or one order's ({"out_trade_no": …}). */
  app.post('/sim/notifications/release', async (request, reply) => {
    const body = bodyOf(request);
    const order = isRecord(body) && typeof body.out_trade_no === 'string' ? body.out_trade_no : undefined;
    return reply.code(200).send({ released: core.notifier.release(order) });
  });

  app.get('/sim/refunds/:out_refund_no', async (request, reply) => {
    const { out_refund_no } = request.params as { out_refund_no: string };
    const refund = core.refunds.get(out_refund_no);
    if (!refund) return reply.code(404).send({ code: 'RESOURCE_NOT_EXISTS', message: 'no such refund' });
    return reply.code(200).send(refundReplyOf(refund));
  });

  /** Settles a PROCESSING refund now: {"status": "SUCCESS" | "ABNORMAL" | "CLOSED"}. */
  app.post('/sim/refunds/:out_refund_no/settle', async (request, reply) => {
    const { out_refund_no } = request.params as { out_refund_no: string };
    const body = bodyOf(request);
    const status = isRecord(body) ? body.status : undefined;
    if (!SETTLE_STATUSES.includes(status as (typeof SETTLE_STATUSES)[number]))
      return reply
        .code(400)
        .send({ code: 'INVALID_STATUS', message: `status must be ${SETTLE_STATUSES.join(', ')}` });
    const refund = core.refunds.get(out_refund_no);
    if (!refund) return reply.code(404).send({ code: 'RESOURCE_NOT_EXISTS', message: 'no such refund' });
    if (!core.settleRefund(refund, status as (typeof SETTLE_STATUSES)[number]))
      return reply.code(409).send({ code: 'ALREADY_SETTLED', message: `the refund is ${refund.status}` });
    return reply.code(200).send(refundReplyOf(refund));
  });

  /** Which key signs for a merchant: {"key_mode": "public_key" | "certificate" | "migrating"}. */
  app.post('/sim/merchants/:mchid/key-mode', async (request, reply) => {
    const { mchid } = request.params as { mchid: string };
    const body = bodyOf(request);
    const mode = isRecord(body) ? body.key_mode : undefined;
    if (!SIM_KEY_MODES.includes(mode as SimKeyMode))
      return reply
        .code(400)
        .send({ code: 'INVALID_KEY_MODE', message: `key_mode must be ${SIM_KEY_MODES.join(', ')}` });
    if (!core.merchants.setKeyMode(mchid, mode as SimKeyMode))
      return reply.code(404).send({ code: 'MCH_NOT_EXISTS', message: 'no such merchant' });
    return reply.code(200).send({ mchid, key_mode: mode });
  });

  /** WeChat issues its next platform certificate; it signs from now on. */
  app.post('/sim/certificates/rotate', async (_request, reply) => {
    const cert = await core.certificates.rotate();
    return reply.code(201).send({
      serial_no: cert.serial_no,
      effective_time: cert.effective_time,
      expire_time: cert.expire_time,
    });
  });
}
