import type { FastifyInstance } from 'fastify';
import { METHOD, parseJson } from '../wire.ts';
import { authenticate, collectParams } from './auth.ts';
import type { SimCore } from './core.ts';
import { originOf } from './gateway-routes.ts';
import { openTrade } from './trade-create.ts';

/**
 * The simulator's own control endpoints under /sim: what in real life happens off the API (an app
 * being registered, a payer paying, the Alipay app submitting an app-pay order), the fault plan,
 * and a window on the state. Plain JSON, unsigned; the simulator listens on loopback only.
 */
const PAY_FAILURE_STATUS = { ORDER_NOT_EXIST: 404, TRADE_CLOSED: 409, NOTIFICATION_QUEUE_FULL: 503 } as const;

function bodyText(body: unknown): string {
  return typeof body === 'string' ? body : '';
}

export function registerControlRoutes(app: FastifyInstance, core: SimCore): void {
  app.post('/sim/apps', async (request, reply) => {
    const body = parseJson(bodyText(request.body));
    try {
      const registered = core.registerApp(body);
      if (registered.app_cert_sn !== undefined && !core.identity.certs)
        throw new Error('certificate-mode apps need a simulator started with Alipay certificates');
      return reply.code(201).send({
        app_id: registered.app_id,
        seller_id: registered.seller_id,
        mode: registered.app_cert_sn === undefined ? 'key' : 'cert',
      });
    } catch (error) {
      return reply.code(400).send({ code: 'INVALID_APP', message: (error as Error).message });
    }
  });

  app.post('/sim/orders/:out_trade_no/pay', async (request, reply) => {
    const { out_trade_no } = request.params as { out_trade_no: string };
    const result = await core.pay(out_trade_no);
    if (result.ok) return reply.code(200).send(result.order);
    return reply.code(PAY_FAILURE_STATUS[result.code]).send({ code: result.code, message: result.message });
  });

  app.get('/sim/orders/:out_trade_no', async (request, reply) => {
    const { out_trade_no } = request.params as { out_trade_no: string };
    const order = core.orders.get(out_trade_no);
    if (!order)
      return reply.code(404).send({ code: 'ORDER_NOT_EXIST', message: 'no order with this out_trade_no' });
    await core.refresh(order);
    return reply.code(200).send(core.view(order));
  });

  // The Alipay app hands an ALI_APP order string to Alipay: checked like a gateway request.
  app.post('/sim/app-orders', async (request, reply) => {
    const params = collectParams('', bodyText(request.body));
    if (!params || params.method !== METHOD.app_pay)
      return reply
        .code(400)
        .send({ code: 'INVALID_ORDER_STRING', message: 'not an alipay.trade.app.pay order string' });
    const auth = authenticate(core, params, originOf(request));
    if (!auth.ok) return reply.code(400).send(auth.result);
    const opened = await openTrade({ core, caller: auth.caller, biz: auth.biz, faults: [] }, 'app');
    if (!opened.ok) return reply.code(409).send(opened.result);
    return reply.code(200).send(core.view(opened.order));
  });

  app.post('/sim/faults', async (request, reply) => {
    try {
      return reply.code(201).send(core.faults.add(parseJson(bodyText(request.body))));
    } catch (error) {
      return reply.code(400).send({ code: 'INVALID_FAULT', message: (error as Error).message });
    }
  });
  app.get('/sim/faults', async (_request, reply) => reply.code(200).send(core.faults.list()));
  app.delete('/sim/faults', async (_request, reply) => {
    core.faults.clear();
    return reply.code(204).send();
  });

  app.post('/sim/notifications/release', async (_request, reply) =>
    reply.code(200).send({ released: core.notifier.release() }),
  );
}
