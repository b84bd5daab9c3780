import { dirname } from 'node:path';
import type { FastifyError } from 'fastify';
import type { Clock } from '../../../domain/clock.ts';
import type { Random } from '../../../domain/random.ts';
import type { FaultRule } from '../../simulator-kit/faults.ts';
import { createSimulatorApp, type SimulatorBase, simulatorBase } from '../../simulator-kit/server.ts';
import { sendSigned } from './answers.ts';
import { registerControlRoutes } from './control-routes.ts';
import { type PayResult, SimCore, type SimOrderView } from './core.ts';
import type { SimKeyMode, SimSubMerchant } from './merchants.ts';
import { PlatformCertAuthority, type SimPlatformCert } from './platform-certs.ts';
import { loadOrCreatePlatformKey } from './platform-key.ts';
import { registerV2Routes } from './v2-routes.ts';
import { registerBillRoutes } from './v3-bill-routes.ts';
import { registerCertificateRoutes } from './v3-cert-routes.ts';
import { registerRefundRoutes } from './v3-refund-routes.ts';
import { registerV3Routes } from './v3-routes.ts';
import { registerWalletRoutes } from './wallet-routes.ts';

/**
 * A WeChat Pay stand-in for tests, local development and demos, direct merchants and service
 * providers alike: APIv3 prepay for Native, JSAPI, App and H5, code pay, query (by out_trade_no
 * and by transaction_id), close, reverse, refunds and refund queries, platform certificates, trade
 * bills; APIv2 micropay, order query and reverse in XML; signed replies and encrypted, signed,
 * retried notifications of payments and refunds — with a control API to register merchants, to
 * make a payer pay, to settle refunds, and to inject faults (simulator-kit/faults.ts).
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
  /** How a latency fault waits; real time by default (the client's deadline is real time too). */
  delay?: (ms: number) => Promise<void>;
}

/** What registerMerchant takes: the mode and sub-merchants default to a direct, public-key merchant. */
export interface SimMerchantInput {
  mchid: string;
  appid: string;
  merchant_serial_no: string;
  merchant_public_key_pem: string;
  apiv3_key: string;
  api_v2_key?: string;
  key_mode?: SimKeyMode;
  sub_merchants?: SimSubMerchant[];
  /** The AppSecret of appid, for web-page OAuth (payer authorisation). */
  app_secret?: string;
}

export interface WechatSimulator extends SimulatorBase {
  /** `PUB_KEY_ID_…`: what merchants configure as wechatpay_public_key_id. */
  platformPublicKeyId: string;
  platformPublicKeyPem: string;
  registerMerchant(merchant: SimMerchantInput): void;
  pay(out_trade_no: string): PayResult;
  /** The next web-page authorisation is refused (the payer returns with `state` only). */
  denyNextAuthorization(): void;
  /** Adds a fault rule (throws when it is malformed); clearFaults removes them all. */
  addFault(rule: FaultRule): FaultRule;
  clearFaults(): void;
  /** Platform certificates issued so far (the first is issued on first use). */
  platformCertificates(): Promise<readonly SimPlatformCert[]>;
  order(out_trade_no: string): SimOrderView | undefined;
}

export function createWechatSimulator(options: WechatSimulatorOptions): WechatSimulator {
  const key = loadOrCreatePlatformKey(options.platformKeyFile);
  const cert_dir = options.platformKeyFile === undefined ? undefined : dirname(options.platformKeyFile);
  const core = new SimCore(
    options.clock,
    options.random,
    key,
    new PlatformCertAuthority(cert_dir, options.random),
  );
  if (options.delay) core.delay = options.delay;
  const app = createSimulatorApp(options.logger);

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
  registerRefundRoutes(app, core);
  registerBillRoutes(app, core);
  registerCertificateRoutes(app, core);
  registerV2Routes(app, core);
  registerControlRoutes(app, core);
  registerWalletRoutes(app, core);

  return {
    ...simulatorBase(app, core),
    platformPublicKeyId: key.public_key_id,
    platformPublicKeyPem: key.public_key_pem,
    registerMerchant: (merchant) => {
      core.merchants.register(merchant);
    },
    pay: (out_trade_no) => core.pay(out_trade_no),
    addFault: (rule) => core.faults.add(rule),
    clearFaults: () => core.faults.clear(),
    async platformCertificates() {
      await core.certificates.current();
      return core.certificates.list();
    },
    order: (out_trade_no) => {
      const order = core.orders.get(out_trade_no);
      return order ? core.view(order) : undefined;
    },
  };
}
