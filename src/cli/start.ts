import { relative } from 'node:path';
import { openGateway } from '../boot/open-gateway.ts';
import { loadConfig } from '../config/env.ts';
import { type DemoInstallation, startDemoInstallation } from '../demo/installation.ts';

/**
 * `paymux start`: the gateway; with simulators on (the default), the demo around it — the three
 * channel simulators, a demo merchant with an account on each, a static code and a demo shop that
 * receives the merchant notifications — everything a newcomer needs to take a first payment.
 */
export async function startCommand(): Promise<number> {
  const config = loadConfig();
  const runtime = await openGateway({ config, start_jobs: true });
  const gateway_url = await runtime.http.listen({ host: config.host, port: config.port });
  const { gw } = runtime;
  if (config.public_url === null) gw.settings.public_url = gateway_url;
  const lines = [
    'Paymux is running',
    `  Gateway API        ${gateway_url}    (API reference: ${gateway_url}/docs)`,
    `  Database           ${gw.store.kind === 'sqlite' ? `${relative(process.cwd(), config.database_url)} (SQLite)` : 'PostgreSQL'}`,
  ];
  let demo: DemoInstallation | null = null;
  if (config.simulators) {
    demo = await startDemoInstallation(runtime, config, gateway_url);
    lines.push(...demo.lines);
  }
  console.log(lines.join('\n'));

  const shutdown = async () => {
    await demo?.close();
    await runtime.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown());
  process.once('SIGTERM', () => void shutdown());
  return -1;
}
