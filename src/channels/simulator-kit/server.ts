import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { FaultPlan } from './faults.ts';
import type { DeliveryReport } from './notifier.ts';

/**
 * What the three simulators' `create…Simulator()` share: the Fastify app they start from, the
 * plain JSON error handler (Alipay, UnionPay), and the part of the public object that runs the
 * notification queue and refuses the next payer authorisation.
 */

/** How often `start()` runs `deliverDueNotifications()` in real time. */
const DELIVERY_TICK_MS = 200;
/** Simulator requests are small; anything past this is refused unread. */
const REQUEST_BODY_LIMIT_BYTES = 64 * 1024;

/**
 * A Fastify app whose handlers get every body as the raw string (signatures cover the bytes as
 * sent). Connections are force-closed on close: a timeout fault leaves requests unanswered, and
 * closing must not wait for them.
 */
export function createSimulatorApp(logger: boolean | undefined): FastifyInstance {
  const app = Fastify({
    logger: logger ? { level: 'info', stream: process.stderr } : false,
    bodyLimit: REQUEST_BODY_LIMIT_BYTES,
    forceCloseConnections: true,
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  return app;
}

/** Errors answer `{code: SYSTEM_ERROR | BAD_REQUEST, message}` with their status (500 when none fits). */
export function setPlainErrorHandler(app: FastifyInstance): void {
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
}

export interface SimulatorBase {
  app: FastifyInstance;
  /** The next payer authorisation is refused. */
  denyNextAuthorization(): void;
  deliverDueNotifications(): Promise<DeliveryReport>;
  /** Starts the real-time delivery loop. */
  start(): void;
  /**
   * Stops the loop at once; the promise settles when a delivery round in flight has finished.
   * The HTTP app is the caller's to close (`app.close()`), as it is the caller's to listen.
   */
  stop(): Promise<void>;
}

/** The shared part of a simulator's public object, over its core. */
export function simulatorBase(
  app: FastifyInstance,
  core: { faults: FaultPlan; deliverDueNotifications(): Promise<DeliveryReport> },
): SimulatorBase {
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
    denyNextAuthorization: () => {
      core.faults.add({ kind: 'deny_authorization', operation: 'authorize', times: 1 });
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
