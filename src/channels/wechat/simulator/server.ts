import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { Clock } from '../../../domain/clock.ts';
import type { Random } from '../../../domain/random.ts';
import { registerControlRoutes } from './control-routes.ts';
import { type PayResult, SimCore, type SimOrderView } from './core.ts';
import type { SimMerchant } from './merchants.ts';
import type { DeliveryReport } from './notifier.ts';
import { loadOrCreatePlatformKey } from './platform-key.ts';
import { registerV3Routes, sendSigned } from './v3-routes.ts';

/**
 * A WeChat Pay APIv3 stand-in for tests, local development and demos: Native prepay, query (by
 * out_trade_no and by transaction_id), close, signed replies and encrypted, signed, retried
 * notifications — with a control API to register merchants and to make a payer pay.
 *
 * Time and randomness are injected. The notification queue moves only when
 * `deliverDueNotifications()` runs: tests call it under a ManualClock; `start()` runs it every
 * 200 ms of real time for a live simulator.
 */
export interface WechatSimulatorOptions {
  clock: Clock;
  random: Random;
  /** Where the platform key lives (JSON); created (mode 0600) when missing. Omitted: a fresh key per run. */
  platformKeyFile?: string;
  /** Fastify request logging to stderr; off by default. */
  logger?: boolean;
}

export interface WechatSimulator {
  app: FastifyInstance;
  /** `PUB_KEY_ID_…`: what merchants configure as wechatpay_public_key_id. */
  platformPublicKeyId: string;
  platformPublicKeyPem: string;
  registerMerchant(merchant: SimMerchant): void;
  pay(out_trade_no: string): PayResult;
  order(out_trade_no: string): SimOrderView | undefined;
  deliverDueNotifications(): Promise<DeliveryReport>;
  /** Starts the real-time delivery loop. */
  start(): void;
  /**
   * Stops the loop at once; the promise settles when a delivery round in flight has finished.
   * The HTTP app is the caller's to close (`app.close()`), as it is the caller's to listen.
   */
  stop(): Promise<void>;
}

const DELIVERY_TICK_MS = 200;
/** WeChat request bodies are small; anything past this is refused unread. */
const REQUEST_BODY_LIMIT_BYTES = 64 * 1024;

export function createWechatSimulator(options: WechatSimulatorOptions): WechatSimulator {
  const key = loadOrCreatePlatformKey(options.platformKeyFile);
  const core = new SimCore(options.clock, options.random, key);
  const app = Fastify({
    logger: options.logger ? { level: 'info', stream: process.stderr } : false,
    bodyLimit: REQUEST_BODY_LIMIT_BYTES,
  });

  // Signatures cover the body bytes exactly, so every body reaches the handlers as the raw string.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  app.setNotFoundHandler(async (request, reply) => {
    if (request.url.startsWith('/v3/')) {
      return sendSigned(reply, core.signer, {
        status: 404,
        payload: { code: 'NOT_FOUND', message: '资源不存在' },
      });
    }
    return reply.code(404).send({ code: 'NOT_FOUND', message: 'no such endpoint' });
  });
  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    const status =
      error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 600
        ? error.statusCode
        : 500;
    const payload =
      status >= 500
        ? { code: 'SYSTEM_ERROR', message: '系统错误' }
        : { code: 'PARAM_ERROR', message: '参数错误', detail: { issue: error.code ?? 'bad request' } };
    if (status >= 500) request.log.error({ err: error }, 'simulator error');
    if (request.url.startsWith('/v3/')) return sendSigned(reply, core.signer, { status, payload });
    return reply.code(status).send(payload);
  });

  registerV3Routes(app, core);
  registerControlRoutes(app, core);

  let timer: NodeJS.Timeout | null = null;
  let running: Promise<unknown> | null = null;
  const tick = () => {
    if (running) return;
    running = core
      .deliverDueNotifications()
      .catch((error: unknown) => app.log.error({ err: error }, 'notification delivery failed'))
      .finally(() => {
        running = null;
      });
  };

  return {
    app,
    platformPublicKeyId: key.public_key_id,
    platformPublicKeyPem: key.public_key_pem,
    registerMerchant: (merchant) => {
      core.merchants.register(merchant);
    },
    pay: (out_trade_no) => core.pay(out_trade_no),
    order: (out_trade_no) => {
      const order = core.orders.get(out_trade_no);
      return order ? core.view(order) : undefined;
    },
    deliverDueNotifications: () => core.deliverDueNotifications(),
    start() {
      if (timer) return;
      timer = setInterval(tick, DELIVERY_TICK_MS);
      // The HTTP server keeps a live simulator running; the loop alone should not.
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      await running;
    },
  };
}
