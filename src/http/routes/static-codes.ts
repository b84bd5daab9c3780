import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { failurePage, staticAmountPage } from '../../cashier/pages.ts';
import { platePng, plateSvg } from '../../cashier/plate.ts';
import { AppError } from '../../domain/errors.ts';
import { acceptedWallets } from '../../services/cashier-payment.ts';
import type { Gateway } from '../../services/gateway.ts';
import {
  activeStaticCode,
  createStaticCode,
  payStaticCode,
  STATIC_CODES_PER_APP_MAX,
  staticCodeView,
} from '../../services/static-codes.ts';
import { listStaticCodes, setStaticCodeStatus } from '../../storage/repositories/static-codes.ts';
import { findMerchant } from '../../storage/repositories/tenants.ts';
import { sendIdempotent } from '../idempotency.ts';
import { merchantOf } from '../merchant-auth.ts';
import { errorResponses, SignedHeaders } from '../schemas.ts';
import { langOf, selfOf, sendPage } from './cashier.ts';

export const StaticCode = Type.Object({
  id: Type.String({ description: 'sc_… id' }),
  object: Type.Literal('static_code'),
  name: Type.String(),
  status: Type.Union([Type.Literal('active'), Type.Literal('disabled')]),
  notify_url: Type.Union([Type.String(), Type.Null()]),
  url: Type.String({ description: 'What the QR code holds; any wallet opens it.' }),
  plate_svg_url: Type.String(),
  plate_png_url: Type.String(),
  created_at: Type.String(),
});

const CreateStaticCodeBody = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      maxLength: 40,
      description: 'The store or till, shown to the payer and printed on the plate.',
    }),
    notify_url: Type.Optional(
      Type.String({
        maxLength: 512,
        pattern: '^https?://',
        description: 'Where events of payments on this code go.',
      }),
    ),
  },
  { additionalProperties: false },
);

const StaticCodeIdParams = Type.Object({ id: Type.String({ pattern: '^sc_[0-9A-HJKMNP-TV-Z]{26}$' }) });

/** The merchant API of static codes (signed, inside the API scope of app.ts). */
export function staticCodeApiRoutes(app: FastifyInstance, gw: Gateway): void {
  app.post(
    '/v1/static-codes',
    {
      schema: {
        summary: 'Create a static code (码牌)',
        description:
          'A permanent QR code for a store or till: the payer opens it in WeChat, Alipay or Cloud QuickPass, types the amount and pays. ' +
          'Each payment on it is a QR_CASHIER payment of this app with metadata.static_code_id.',
        tags: ['static codes'],
        headers: SignedHeaders,
        body: CreateStaticCodeBody,
        response: { 201: StaticCode, ...errorResponses },
      },
    },
    async (request, reply) =>
      sendIdempotent(gw, request, reply, async () => {
        const app_id = merchantOf(request).credential.app_id;
        const existing = await listStaticCodes(gw.store.db, app_id, STATIC_CODES_PER_APP_MAX);
        if (existing.length >= STATIC_CODES_PER_APP_MAX) {
          throw new AppError(
            'REQUEST_INVALID',
            `An app has at most ${STATIC_CODES_PER_APP_MAX} static codes.`,
          );
        }
        const input = request.body as { name: string; notify_url?: string };
        const code = await createStaticCode(gw, merchantOf(request).credential, input);
        return { status: 201, body: staticCodeView(code, gw.settings.public_url) };
      }),
  );

  app.get(
    '/v1/static-codes',
    {
      schema: {
        summary: "List the app's static codes, newest first",
        tags: ['static codes'],
        headers: SignedHeaders,
        response: {
          200: Type.Object({ object: Type.Literal('list'), data: Type.Array(StaticCode) }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const codes = await listStaticCodes(
        gw.store.db,
        merchantOf(request).credential.app_id,
        STATIC_CODES_PER_APP_MAX,
      );
      return { object: 'list', data: codes.map((c) => staticCodeView(c, gw.settings.public_url)) };
    },
  );

  app.post(
    '/v1/static-codes/:id/disable',
    {
      schema: {
        summary: 'Disable a static code',
        description:
          'Payers who open it afterwards see that it is no longer in use; payments already made are unaffected.',
        tags: ['static codes'],
        headers: SignedHeaders,
        params: StaticCodeIdParams,
        response: { 200: StaticCode, ...errorResponses },
      },
    },
    async (request) => {
      const app_id = merchantOf(request).credential.app_id;
      const { id } = request.params as { id: string };
      if (!(await setStaticCodeStatus(gw.store.db, app_id, id, 'disabled'))) {
        throw new AppError('STATIC_CODE_NOT_FOUND');
      }
      const codes = await listStaticCodes(gw.store.db, app_id, STATIC_CODES_PER_APP_MAX);
      const code = codes.find((c) => c.id === id);
      if (!code) throw new AppError('STATIC_CODE_NOT_FOUND');
      return staticCodeView(code, gw.settings.public_url);
    },
  );
}

/** The payer's side of a static code and its printable plate (no signature: any wallet opens it). */
export function staticCodePageRoutes(app: FastifyInstance, gw: Gateway): void {
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 1024 },
    (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );

  const render = async (
    request: FastifyRequest,
    reply: Parameters<typeof sendPage>[0],
    status: number,
    typed: string,
    error_code: string | null,
  ) => {
    const { id } = request.params as { id: string };
    const query = request.query as Record<string, string>;
    const lang = langOf(request, reply);
    const self = selfOf(`/c/${id}`, query);
    try {
      const code = await activeStaticCode(gw, id);
      const merchant = await findMerchant(gw.store.db, code.merchant_id);
      const wallet = query.wallet ? `?wallet=${encodeURIComponent(query.wallet)}` : '';
      const body = staticAmountPage(
        lang,
        {
          code_id: code.id,
          merchant_name: merchant?.name ?? '',
          store_name: code.name,
          typed,
          error_code,
          action: `/c/${code.id}${wallet}`,
        },
        self,
      );
      return sendPage(reply, status, body);
    } catch (error) {
      if (error instanceof AppError && error.code === 'STATIC_CODE_NOT_FOUND') {
        return sendPage(
          reply,
          404,
          failurePage(lang, { payment: null, code: error.code, retry_url: null }, self),
        );
      }
      throw error;
    }
  };

  app.get('/c/:id', { schema: { hide: true } }, async (request, reply) =>
    render(request, reply, 200, '', null),
  );

  app.post('/c/:id', { schema: { hide: true } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const query = request.query as Record<string, string>;
    const typed = String((request.body as Record<string, unknown> | undefined)?.amount ?? '').slice(0, 20);
    try {
      const code = await activeStaticCode(gw, id);
      const payment = await payStaticCode(gw, code, typed);
      const wallet = query.wallet ? `?wallet=${encodeURIComponent(query.wallet)}` : '';
      return reply.redirect(`/cashier/${payment.id}${wallet}`, 303);
    } catch (error) {
      if (
        error instanceof AppError &&
        (error.code === 'STATIC_CODE_AMOUNT_INVALID' || error.code === 'STATIC_CODE_NOT_FOUND')
      ) {
        return render(request, reply, error.status, typed, error.code);
      }
      throw error;
    }
  });

  app.get('/c/:id/:file', { schema: { hide: true } }, async (request, reply) => {
    const { id, file } = request.params as { id: string; file: string };
    if (file !== 'plate.svg' && file !== 'plate.png') return reply.callNotFound();
    const code = await activeStaticCode(gw, id);
    const merchant = await findMerchant(gw.store.db, code.merchant_id);
    const wallets = (await acceptedWallets(gw, code.merchant_id)).map((w) => w.channel);
    const input = {
      merchant_name: merchant?.name ?? '',
      store_name: code.name,
      url: `${gw.settings.public_url}/c/${code.id}`,
      wallets,
      code_id: code.id,
    };
    void reply.header('cache-control', 'no-cache');
    if (file === 'plate.svg') return reply.type('image/svg+xml').send(plateSvg(input));
    return reply.type('image/png').send(platePng(input));
  });
}
