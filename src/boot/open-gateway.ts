import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { closeHttpAgents } from '../channels/http-client.ts';
import type { Config } from '../config/env.ts';
import { loadMasterKey } from '../config/master-key.ts';
import { type Clock, systemClock } from '../domain/clock.ts';
import { type Random, secureRandom } from '../domain/random.ts';
import { buildHttpApp } from '../http/app.ts';
import { EventDeliverer } from '../jobs/event-delivery.ts';
import { MaintenanceJob } from '../jobs/maintenance.ts';
import { PaymentSync } from '../jobs/payment-sync.ts';
import { DailyReconciliation } from '../reconcile/daily-job.ts';
import { AppCredentials } from '../services/app-credentials.ts';
import { ChannelAccounts } from '../services/channel-accounts.ts';
import type { Gateway } from '../services/gateway.ts';
import { createMetrics } from '../services/metrics.ts';
import { openStore } from '../storage/database.ts';
import { migrateToLatest } from '../storage/migrate.ts';
import { SecretBox } from '../storage/secret-box.ts';
import { createLogger } from './logger.ts';

export interface GatewayRuntime {
  gw: Gateway;
  http: FastifyInstance;
  deliverer: EventDeliverer;
  sync: PaymentSync;
  close(): Promise<void>;
}

export interface OpenGatewayOptions {
  config: Config;
  clock?: Clock;
  random?: Random;
  logger?: Logger;
  /** Start the background jobs (delivery, clean-up); tests drive them by hand instead. */
  start_jobs?: boolean;
}

/** The composition root: builds every part from the configuration and wires them together. */
export async function openGateway(options: OpenGatewayOptions): Promise<GatewayRuntime> {
  const { config } = options;
  const logger = options.logger ?? createLogger(config.log_level);
  const store = openStore({ url: config.database_url });
  await migrateToLatest(store.db);
  const secrets = new SecretBox(loadMasterKey(config).key);
  const clock = options.clock ?? systemClock;
  let deliverer: EventDeliverer | null = null;
  const gw: Gateway = {
    store,
    clock,
    random: options.random ?? secureRandom,
    secrets,
    logger,
    metrics: createMetrics({ default_metrics: options.start_jobs ?? false }),
    credentials: new AppCredentials(store.db, secrets, clock),
    accounts: new ChannelAccounts(store.db, secrets, clock),
    settings: {
      public_url: config.public_url ?? `http://${config.host}:${config.port}`,
      channel_timeout_ms: config.channel_timeout_ms,
      sync_checks_per_s: config.sync_checks_per_s,
      demo_pages: config.simulators,
    },
    onEventsCommitted: () => deliverer?.wake(),
  };
  deliverer = new EventDeliverer(gw);
  const maintenance = new MaintenanceJob(gw);
  const sync = new PaymentSync(gw);
  const daily_reconciliation = new DailyReconciliation(gw, { data_dir: config.data_dir });
  const http = await buildHttpApp(gw, { body_limit_bytes: config.body_limit_bytes, docs: true });
  if (options.start_jobs) {
    deliverer.start();
    maintenance.start();
    sync.start();
    daily_reconciliation.start();
  }
  return {
    gw,
    http,
    deliverer,
    sync,
    async close() {
      await deliverer?.stop();
      await sync.stop();
      await daily_reconciliation.stop();
      await maintenance.stop();
      await http.close();
      closeHttpAgents();
      await store.close();
    },
  };
}
