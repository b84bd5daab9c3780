import { openGateway } from '../../src/boot/open-gateway.ts';
import { loadConfig } from '../../src/config/env.ts';

/**
 * The gateway as the crash test runs it: `paymux start` without the in-process simulators and demo
 * (the channel simulators run in their own processes, so killing the gateway does not kill them),
 * with its background jobs, on DATABASE_URL / PAYMUX_DATA_DIR / PAYMUX_PORT from the environment,
 * and PAYMUX_FAILPOINTS read by src/boot/failpoints.ts. Prints one JSON line {"url"} when listening.
 *
 *   tsx test/support/crash-gateway.ts
 */
const config = loadConfig();
const runtime = await openGateway({ config, start_jobs: true });
const url = await runtime.http.listen({ host: config.host, port: config.port });
if (config.public_url === null) runtime.gw.settings.public_url = url;
// Merchant endpoints in the test answer at once; a short deadline keeps a retry round quick.
runtime.deliverer.timeout_ms = Number(process.env.PAYMUX_TEST_DELIVERY_TIMEOUT_MS ?? 2000);
process.stdout.write(`${JSON.stringify({ url, pid: process.pid })}\n`);
const stop = () => {
  runtime.close().finally(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
