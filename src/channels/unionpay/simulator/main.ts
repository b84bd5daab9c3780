import { parseArgs } from 'node:util';
import { systemClock } from '../../../domain/clock.ts';
import { secureRandom } from '../../../domain/random.ts';
import { closeHttpAgents } from '../../http-client.ts';
import { createUnionpaySimulator } from './server.ts';

/**
 * Runs the UnionPay simulator as its own process:
 *
 *   tsx src/channels/unionpay/simulator/main.ts --port 0 [--key-dir path] [--verbose]
 *
 * Listens on 127.0.0.1 only (the control API is unauthenticated) and, once listening, prints one
 * JSON line to stdout — {"url", "root_cert_pem", "middle_cert_pem", "sign_cert_pem", "key_dir"} —
 * for a parent process to read. Nothing else goes to stdout. SIGTERM or SIGINT stops it (exit 0).
 */
const SHUTDOWN_GRACE_MS = 5_000;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      'key-dir': { type: 'string' },
      verbose: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('--port must be 0 to 65535');

  const sim = createUnionpaySimulator({
    clock: systemClock,
    random: secureRandom,
    ...(values['key-dir'] !== undefined ? { keyDir: values['key-dir'] } : {}),
    logger: values.verbose,
  });
  const url = await sim.app.listen({ host: '127.0.0.1', port });
  sim.start();

  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(1), SHUTDOWN_GRACE_MS).unref();
    sim
      .stop()
      .then(() => sim.app.close())
      .then(() => {
        closeHttpAgents();
        process.exit(0);
      })
      .catch(() => process.exit(1));
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);

  process.stdout.write(
    `${JSON.stringify({
      url,
      root_cert_pem: sim.rootCertPem,
      middle_cert_pem: sim.middleCertPem,
      sign_cert_pem: sim.signCertPem,
      key_dir: sim.keyDir,
    })}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`unionpay simulator: ${(error as Error).message}\n`);
  process.exit(1);
});
