import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { AppError } from '../domain/errors.ts';
import { alphanumericNonce } from '../domain/random.ts';
import {
  HEADER_NONCE,
  HEADER_SIGNATURE,
  HEADER_TIMESTAMP,
  hmacHex,
  responseSigningString,
} from '../protocol/merchant-signature.ts';
import type { Gateway } from '../services/gateway.ts';
import { installErrorHandling } from './errors.ts';
import { authenticateMerchant } from './merchant-auth.ts';
import { cashierRoutes } from './routes/cashier.ts';
import { channelNotifyRoutes } from './routes/channel-notify.ts';
import { paymentRoutes } from './routes/payments.ts';
import { refundRoutes } from './routes/refunds.ts';
import { staticCodeApiRoutes, staticCodePageRoutes } from './routes/static-codes.ts';
import { systemRoutes } from './routes/system.ts';
import { testPageRoutes } from './routes/test-page.ts';

export interface HttpOptions {
  body_limit_bytes: number;
  /** Serve the OpenAPI document and its browser at /docs. */
  docs: boolean;
}

/**
 * The HTTP shell: parsing, authentication, error mapping and response signing around the
 * services. No business rule lives here.
 */
export async function buildHttpApp(gw: Gateway, options: HttpOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: gw.logger.child({ component: 'http' }) as unknown as FastifyBaseLogger,
    // One line per request would cost the payment path; requests are counted in metrics instead.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.body_limit_bytes,
    trustProxy: false,
    ajv: {
      customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: true, allErrors: false },
    },
    return503OnClosing: true,
  });
  installErrorHandling(app);

  if (options.docs) {
    await app.register(swagger, {
      openapi: {
        openapi: '3.0.3',
        info: {
          title: 'Paymux merchant API',
          version: '1',
          description:
            'One API for WeChat Pay, Alipay and UnionPay. Every request is signed (docs/api/signing.md); amounts are integer fen; writes take an Idempotency-Key.',
        },
      },
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  }

  // The merchant API: JSON only, raw body kept for the signature, every request authenticated.
  await app.register(async (api) => {
    api.removeAllContentTypeParsers();
    api.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
      const text = body as string;
      request.rawBody = text;
      if (text.length === 0) return done(null, undefined);
      try {
        done(null, JSON.parse(text));
      } catch {
        done(new AppError('REQUEST_MALFORMED'), undefined);
      }
    });
    api.addHook('onRequest', async (request) => {
      // A GET has no body; sign it as the empty string.
      request.rawBody = '';
    });
    api.addHook('preValidation', async (request) => {
      request.merchant = await authenticateMerchant(gw, request);
    });
    api.addHook('onSend', async (request, reply, payload) => {
      if (!request.merchant || typeof payload !== 'string') return payload;
      const timestamp = String(Math.floor(gw.clock.now_ms() / 1000));
      const nonce = alphanumericNonce(gw.random, 24);
      void reply.header(HEADER_TIMESTAMP, timestamp);
      void reply.header(HEADER_NONCE, nonce);
      void reply.header(
        HEADER_SIGNATURE,
        hmacHex(request.merchant.secret, responseSigningString(timestamp, nonce, payload)),
      );
      return payload;
    });
    paymentRoutes(api, gw);
    refundRoutes(api, gw);
    staticCodeApiRoutes(api, gw);
  });

  // The payer's pages: the QR cashier, static codes and their plates; the operator's test page.
  await app.register(async (pages) => {
    cashierRoutes(pages, gw);
    staticCodePageRoutes(pages, gw);
    testPageRoutes(pages, gw);
  });

  await app.register(async (scope) => channelNotifyRoutes(scope, gw));
  systemRoutes(app, gw);
  return app;
}
