import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { Clock } from '../../../domain/clock.ts';
import type { Random } from '../../../domain/random.ts';
import type { FaultRule } from '../../simulator-kit/faults.ts';
import { type AlipayCerts, identityOf, loadOrCreateAlipayKey } from './alipay-key.ts';
import type { SimApp } from './apps.ts';
import { registerControlRoutes } from './control-routes.ts';
import { type PayResult, SimCore, type SimOrderView } from './core.ts';
import { registerGatewayRoutes } from './gateway-routes.ts';
import type { DeliveryReport } from './notifier.ts';
import { registerWalletRoutes } from './wallet-routes.ts';

/**
 * An Alipay OpenAPI (gateway.do) stand-in for tests, local development and demos: precreate,
 * pay, create, the page/wap cashier, query, close, cancel, refund, refund query, the bill URL and
 * file; signed replies (key mode, or certificate mode with alipay_cert_sn); signed, retried
 * notifications; a control API to register apps, make payers pay, and inject faults.
 *
 * Time and randomness are injected. Notifications and payers' confirmations move only when
 * `deliverDueNotifications()` runs: tests call it under a ManualClock; `start()` runs it every
 * 200 ms of real time for a live simulator.
 */
export interface AlipaySimulatorOptions {
  clock: Clock;
  random: Random;
  /** Where the simulator's Alipay key lives (JSON or PEM); created (mode 0600) when missing. Omitted: a fresh key. */
  keyFile?: string;
  /** A certificate for that key and its root bundle: enables certificate-mode apps. */
  certs?: AlipayCerts;
  /** Fastify request logging to stderr; off by default. */
  logger?: boolean;
}

export interface AlipaySimulator {
  app: FastifyInstance;
  alipayPublicKeyPem: string;
  /** Present when started with certificates. */
  alipayPublicCertPem?: string;
  alipayRootCertPem?: string;
  registerApp(value: unknown): SimApp;
  pay(out_trade_no: string): Promise<PayResult>;
  /** The next user authorisation is refused (the payer returns without an auth_code). */
  denyNextAuthorization(): void;
  order(out_trade_no: string): SimOrderView | undefined;
  addFault(rule: unknown): FaultRule;
  clearFaults(): void;
  deliverDueNotifications(): Promise<DeliveryReport>;
  /** Starts the real-time delivery loop. */
  start(): void;
  /** Stops the loop; settles when a round in flight has finished. The HTTP app is the caller's to close. */
  stop(): Promise<void>;
}

const DELIVERY_TICK_MS = 200;
/** Gateway requests are small; anything past this is refused unread. */
const REQUEST_BODY_LIMIT_BYTES = 64 * 1024;

export function createAlipaySimulator(options: AlipaySimulatorOptions): AlipaySimulator {
  const identity = identityOf(loadOrCreateAlipayKey(options.keyFile), options.certs);
  const core = new SimCore(options.clock, options.random, identity);
  const app = Fastify({
    logger: options.logger ? { level: 'info', stream: process.stderr } : false,
    bodyLimit: REQUEST_BODY_LIMIT_BYTES,
    // A hung request (the timeout fault) must not keep close() waiting.
    forceCloseConnections: true,
  });

  // Signatures cover the parameters exactly as sent, so every body reaches the handlers as text.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    const status =
      error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 600
        ? error.statusCode
        : 500;
    if (status >= 500) request.log.error({ err: error }, 'simulator error');
    return reply
      .code(status)
      .send({ code: status >= 500 ? 'SYSTEM_ERROR' : 'BAD_REQUEST', message: error.code ?? 'error' });
  });

  registerGatewayRoutes(app, core);
  registerControlRoutes(app, core);
  registerWalletRoutes(app, core);

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
    alipayPublicKeyPem: identity.public_key_pem,
    ...(identity.certs
      ? {
          alipayPublicCertPem: identity.certs.alipay_public_cert_pem,
          alipayRootCertPem: identity.certs.alipay_root_cert_pem,
        }
      : {}),
    registerApp: (value) => core.registerApp(value),
    pay: (out_trade_no) => core.pay(out_trade_no),
    denyNextAuthorization: () => {
      core.faults.add({ kind: 'deny_authorization', operation: 'authorize', times: 1 });
    },
    order: (out_trade_no) => {
      const order = core.orders.get(out_trade_no);
      return order ? core.view(order) : undefined;
    },
    addFault: (rule) => core.faults.add(rule),
    clearFaults: () => core.faults.clear(),
    deliverDueNotifications: () => core.deliverDueNotifications(),
    start() {
      if (timer) return;
      timer = setInterval(tick, DELIVERY_TICK_MS);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      await running;
    },
  };
}
