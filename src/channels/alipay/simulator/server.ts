import type { Clock } from '../../../domain/clock.ts';
import type { Random } from '../../../domain/random.ts';
import type { FaultRule } from '../../simulator-kit/faults.ts';
import {
  createSimulatorApp,
  type SimulatorBase,
  setPlainErrorHandler,
  simulatorBase,
} from '../../simulator-kit/server.ts';
import { type AlipayCerts, identityOf, loadOrCreateAlipayKey } from './alipay-key.ts';
import type { SimApp } from './apps.ts';
import { registerControlRoutes } from './control-routes.ts';
import { type PayResult, SimCore, type SimOrderView } from './core.ts';
import { registerGatewayRoutes } from './gateway-routes.ts';
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

export interface AlipaySimulator extends SimulatorBase {
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
}

export function createAlipaySimulator(options: AlipaySimulatorOptions): AlipaySimulator {
  const identity = identityOf(loadOrCreateAlipayKey(options.keyFile), options.certs);
  const core = new SimCore(options.clock, options.random, identity);
  const app = createSimulatorApp(options.logger);
  setPlainErrorHandler(app);

  registerGatewayRoutes(app, core);
  registerControlRoutes(app, core);
  registerWalletRoutes(app, core);

  return {
    ...simulatorBase(app, core),
    alipayPublicKeyPem: identity.public_key_pem,
    ...(identity.certs
      ? {
          alipayPublicCertPem: identity.certs.alipay_public_cert_pem,
          alipayRootCertPem: identity.certs.alipay_root_cert_pem,
        }
      : {}),
    registerApp: (value) => core.registerApp(value),
    pay: (out_trade_no) => core.pay(out_trade_no),
    order: (out_trade_no) => {
      const order = core.orders.get(out_trade_no);
      return order ? core.view(order) : undefined;
    },
    addFault: (rule) => core.faults.add(rule),
    clearFaults: () => core.faults.clear(),
  };
}
