import { join } from 'node:path';
import { createLogger } from '../../src/boot/logger.ts';
import { type GatewayRuntime, openGateway } from '../../src/boot/open-gateway.ts';
import { loadOrCreatePlatformKey } from '../../src/channels/wechat/simulator/platform-key.ts';
import { createWechatSimulator } from '../../src/channels/wechat/simulator/server.ts';
import type { Config } from '../../src/config/env.ts';
import { loadConfig } from '../../src/config/env.ts';
import { type SeededMerchant, seedWechatMerchant } from '../../src/demo/seed.ts';
import { type Clock, systemClock } from '../../src/domain/clock.ts';
import { type Random, secureRandom } from '../../src/domain/random.ts';
import { PaymuxClient } from '../../src/sdk/client.ts';
import { createTestDatabase, type DbKind, type TestDatabase } from './databases.ts';
import { type MerchantReceiver, startMerchantReceiver } from './merchant-receiver.ts';
import { type RecordingProxy, startRecordingProxy } from './recording-proxy.ts';
import { startTcpSwitch, type TcpSwitch } from './tcp-switch.ts';

export type WechatSimulator = ReturnType<typeof createWechatSimulator>;

/**
 * A whole installation on loopback sockets: the gateway (its HTTP server and store), a WeChat Pay
 * simulator, a seeded merchant with a WeChat account pointing at that simulator, a merchant
 * notification endpoint, and a signed API client for the merchant.
 */
export interface Harness {
  db: TestDatabase;
  config: Config;
  gateway: GatewayRuntime;
  gateway_url: string;
  sim: WechatSimulator;
  sim_url: string;
  /** The simulator's signing key: lets a test forge traffic that is validly signed. */
  platform_private_key_pem: string;
  merchant: SeededMerchant;
  client: PaymuxClient;
  receiver: MerchantReceiver;
  /** Channel notifications pass through this on their way to the gateway. */
  proxy: RecordingProxy;
  /** The gateway's calls to the channel pass through this; set `down` to cut them. */
  channel_link: TcpSwitch;
  close(): Promise<void>;
}

export interface HarnessOptions {
  clock?: Clock;
  random?: Random;
  /** Start the gateway's background jobs (delivery); off = the test drives them. */
  start_jobs?: boolean;
}

export async function startHarness(kind: DbKind, options: HarnessOptions = {}): Promise<Harness> {
  const clock = options.clock ?? systemClock;
  const random = options.random ?? secureRandom;
  const db = await createTestDatabase(kind);
  const config = loadConfig({
    DATABASE_URL: db.url,
    PAYMUX_DATA_DIR: db.dir,
    PAYMUX_LOG_LEVEL: process.env.PAYMUX_TEST_LOG_LEVEL ?? 'silent',
    PAYMUX_PORT: '0',
    PAYMUX_CHANNEL_TIMEOUT_MS: '3000',
  });
  const logger = createLogger(config.log_level);
  const gateway = await openGateway({
    config,
    clock,
    random,
    logger,
    start_jobs: options.start_jobs ?? false,
  });
  const gateway_url = await gateway.http.listen({ host: '127.0.0.1', port: 0 });
  // Channels reach the gateway through the recording proxy, so tests can replay their traffic.
  const proxy = await startRecordingProxy(() => gateway_url);
  gateway.gw.settings.public_url = proxy.url;

  const platform_key_file = join(db.dir, 'wechat-platform-key.json');
  const sim = createWechatSimulator({ clock, random, logger: false, platformKeyFile: platform_key_file });
  const sim_url = await sim.app.listen({ host: '127.0.0.1', port: 0 });
  const channel_link = await startTcpSwitch(sim_url);
  const merchant = await seedWechatMerchant(gateway.gw, 'Test Shop', {
    url: channel_link.url,
    public_key_id: sim.platformPublicKeyId,
    public_key_pem: sim.platformPublicKeyPem,
  });
  sim.registerMerchant(merchant.wechat);
  const receiver = await startMerchantReceiver();
  const client = new PaymuxClient({
    base_url: gateway_url,
    app_id: merchant.app_id,
    secret: merchant.app_secret,
    now_s: () => Math.floor(clock.now_ms() / 1000),
  });
  return {
    db,
    config,
    gateway,
    gateway_url,
    sim,
    sim_url,
    platform_private_key_pem: loadOrCreatePlatformKey(platform_key_file).private_key_pem,
    merchant,
    client,
    receiver,
    proxy,
    channel_link,
    async close() {
      await sim.stop();
      await sim.app.close();
      await receiver.close();
      await proxy.close();
      await channel_link.close();
      await gateway.close();
      await db.drop();
    },
  };
}
