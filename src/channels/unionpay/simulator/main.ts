import { parseArgs } from 'node:util';
import { systemClock } from '../../../domain/clock.ts';
import { secureRandom } from '../../../domain/random.ts';
import { parsePort, runMain, serveStandalone } from '../../simulator-kit/standalone.ts';
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
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      'key-dir': { type: 'string' },
      verbose: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const port = parsePort(values.port);

  const sim = createUnionpaySimulator({
    clock: systemClock,
    random: secureRandom,
    ...(values['key-dir'] !== undefined ? { keyDir: values['key-dir'] } : {}),
    logger: values.verbose,
    strictUserAuth: true,
  });
  await serveStandalone(sim, port, (url) => ({
    url,
    root_cert_pem: sim.rootCertPem,
    middle_cert_pem: sim.middleCertPem,
    sign_cert_pem: sim.signCertPem,
    key_dir: sim.keyDir,
  }));
}

runMain('unionpay simulator', main);
