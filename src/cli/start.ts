import { join, relative } from 'node:path';
import Fastify from 'fastify';
import { openGateway } from '../boot/open-gateway.ts';
import { createWechatSimulator } from '../channels/wechat/simulator/server.ts';
import { loadConfig } from '../config/env.ts';
import { readDemoFile, writeDemoFile } from '../demo/demo-file.ts';
import { seedWechatMerchant, simulatorMerchantOf } from '../demo/seed.ts';
import { systemClock } from '../domain/clock.ts';
import { secureRandom } from '../domain/random.ts';
import { verifyWebhook } from '../protocol/merchant-signature.ts';
import { findApp } from '../storage/repositories/tenants.ts';

/**
 * `paymux start`: the gateway; with simulators on (the default), a WeChat Pay simulator, a demo
 * merchant bound to it and a demo shop that receives the merchant notifications — everything a
 * newcomer needs to take a first payment, with no other service.
 */
export async function startCommand(): Promise<number> {
  const config = loadConfig();
  const runtime = await openGateway({ config, start_jobs: true });
  const gateway_url = await runtime.http.listen({ host: config.host, port: config.port });
  const { gw } = runtime;
  if (config.public_url === null) gw.settings.public_url = gateway_url;
  const closers: Array<() => Promise<unknown>> = [];
  const lines = [
    'Paymux is running',
    `  Gateway API        ${gateway_url}    (API reference: ${gateway_url}/docs)`,
    `  Database           ${gw.store.kind === 'sqlite' ? `${relative(process.cwd(), config.database_url)} (SQLite)` : 'PostgreSQL'}`,
  ];

  if (config.simulators) {
    const port = (offset: number) => (config.port === 0 ? 0 : config.port + offset);
    const sim = createWechatSimulator({
      clock: systemClock,
      random: secureRandom,
      platformKeyFile: join(config.data_dir, 'simulators', 'wechat-platform-key.json'),
    });
    const sim_url = await sim.app.listen({ host: config.host, port: port(1) });
    sim.start();
    closers.push(async () => {
      await sim.stop();
      await sim.app.close();
    });

    let demo = readDemoFile(config.data_dir);
    if (demo && !(await findApp(gw.store.db, demo.app_id))) demo = null;
    if (!demo) {
      const seeded = await seedWechatMerchant(gw, 'Demo Shop', {
        url: sim_url,
        public_key_id: sim.platformPublicKeyId,
        public_key_pem: sim.platformPublicKeyPem,
      });
      demo = {
        merchant_id: seeded.merchant_id,
        app_id: seeded.app_id,
        app_secret: seeded.app_secret,
        channel_account_id: seeded.channel_account_id,
        gateway_url,
        wechat_simulator_url: sim_url,
      };
    }
    demo = { ...demo, gateway_url, wechat_simulator_url: sim_url };
    writeDemoFile(config.data_dir, demo);
    sim.registerMerchant(await simulatorMerchantOf(gw, demo.channel_account_id));

    const shop = Fastify({ logger: false });
    shop.removeAllContentTypeParsers();
    shop.addContentTypeParser('*', { parseAs: 'string' }, (_r, body, done) => done(null, body));
    const app_secret = demo.app_secret;
    shop.post('/notify', async (request) => {
      const body = String(request.body);
      const check = verifyWebhook(
        app_secret,
        String(request.headers['paymux-signature'] ?? ''),
        body,
        Math.floor(Date.now() / 1000),
      );
      const event = JSON.parse(body) as {
        type: string;
        data: { object: { id: string; state: string; amount: number } };
      };
      const p = event.data.object;
      console.log(
        `demo shop received ${event.type} for ${p.id} (${p.state}, ${p.amount} fen): signature ${check.ok ? 'valid' : `INVALID (${check.reason})`}`,
      );
      return 'ok';
    });
    const shop_url = await shop.listen({ host: config.host, port: port(2) });
    closers.push(() => shop.close());

    lines.push(
      `  WeChat Pay sim     ${sim_url}`,
      `  Demo shop          ${shop_url}/notify    (receives signed merchant notifications)`,
      '',
      `Demo merchant ${demo.merchant_id}, app ${demo.app_id} (its secret is in ${relative(process.cwd(), join(config.data_dir, 'demo.json'))})`,
      '',
      'Take a first payment (in another terminal):',
      `  1. npm run paymux -- call POST /v1/payments '{"merchant_order_no":"demo-${Date.now()}","pay_way":"WX_NATIVE","amount":1,"subject":"Coffee","notify_url":"${shop_url}/notify"}'`,
      '     → a payment in state PENDING with a code_url and a qr_image_url',
      '  2. npm run paymux -- sim pay <payment id>        (the payer pays in the WeChat Pay simulator)',
      '  3. this terminal prints: demo shop received payment.succeeded … signature valid',
      '  4. npm run paymux -- call GET /v1/payments/<payment id>    → state SUCCESS',
    );
  }
  console.log(lines.join('\n'));

  const shutdown = async () => {
    for (const close of closers) await close().catch(() => {});
    await runtime.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown());
  process.once('SIGTERM', () => void shutdown());
  return -1;
}
