import type { Clock } from '../../../domain/clock.ts';
import type { Random } from '../../../domain/random.ts';
import type { FaultPlan } from '../../simulator-kit/faults.ts';
import {
  createSimulatorApp,
  type SimulatorBase,
  setPlainErrorHandler,
  simulatorBase,
} from '../../simulator-kit/server.ts';
import { loadOrCreateSimCa } from './ca.ts';
import { registerControlRoutes } from './control-routes.ts';
import { type PayResult, SimCore, type SimOrderView } from './core.ts';
import { registerGatewayRoutes } from './gateway-routes.ts';
import type { SimMerchant } from './merchants.ts';
import { registerWalletRoutes } from './wallet-routes.ts';

/**
 * A UnionPay ACP 5.1.0 stand-in for tests, local development and demos: QR apply, payment-code
 * consume, in-app consume, query, refund, cancel and bill download, every reply and notification
 * signed by a certificate from the simulator's own CA; notifications retried until HTTP 200; a
 * control API to register merchants, make payers pay and inject faults.
 *
 * Time and randomness are injected. The notification queue moves only when
 * `deliverDueNotifications()` runs: tests call it under a ManualClock; `start()` runs it every
 * 200 ms of real time for a live simulator.
 */
export interface UnionpaySimulatorOptions {
  clock: Clock;
  random: Random;
  /** Where the CA lives; created (files mode 0600) when empty. Omitted: a fresh CA per run. */
  keyDir?: string;
  /** Fastify request logging to stderr; off by default. */
  logger?: boolean;
  /**
   * In-app consumes (UP_JSAPI) take only userAuthCodes this simulator issued (and each once).
   * Off by default: any code is then taken, but still only once.
   */
  strictUserAuth?: boolean;
}

export interface UnionpaySimulator extends SimulatorBase {
  /** What merchants configure as root_cert_pem and middle_cert_pem. */
  rootCertPem: string;
  middleCertPem: string;
  /** The certificate the simulator signs with (sent as signPubKeyCert). */
  signCertPem: string;
  keyDir: string;
  faults: FaultPlan;
  registerMerchant(merchant: { mer_id: string; cert_pem: string }): SimMerchant;
  /** The next user authorisation is refused (the payer returns with a respCode other than 00). */
  denyNextAuthorization(): void;
  pay(order_id: string): Promise<PayResult>;
  order(order_id: string): Promise<SimOrderView | undefined>;
}

export function createUnionpaySimulator(options: UnionpaySimulatorOptions): UnionpaySimulator {
  const ca = loadOrCreateSimCa(options.keyDir);
  const core = new SimCore(options.clock, options.random, ca);
  core.strict_user_auth = options.strictUserAuth ?? false;
  const app = createSimulatorApp(options.logger);
  setPlainErrorHandler(app);
  registerGatewayRoutes(app, core);
  registerControlRoutes(app, core);
  registerWalletRoutes(app, core);

  return {
    ...simulatorBase(app, core),
    rootCertPem: ca.root_cert_pem,
    middleCertPem: ca.middle_cert_pem,
    signCertPem: ca.sign_cert_pem,
    keyDir: ca.key_dir,
    faults: core.faults,
    registerMerchant: (merchant) => core.merchants.register(merchant),
    pay: (order_id) => core.pay(order_id),
    async order(order_id) {
      const txn = core.txns.get(order_id);
      if (!txn) return undefined;
      await core.settle(txn);
      return core.view(txn);
    },
  };
}
