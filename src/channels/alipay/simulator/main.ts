import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { systemClock } from '../../../domain/clock.ts';
import { secureRandom } from '../../../domain/random.ts';
import { parsePort, runMain, serveStandalone } from '../../simulator-kit/standalone.ts';
import { createAlipaySimulator } from './server.ts';

/**
 * Runs the Alipay simulator as its own process:
 *
 *   tsx src/channels/alipay/simulator/main.ts --port 0 [--key-file path]
 *       [--cert-file alipayPublicCert.pem --root-cert-file alipayRootCert.pem] [--verbose]
 *
 * Listens on 127.0.0.1 only (the control API is unauthenticated) and, once listening, prints one
 * JSON line to stdout — {"url", "gateway_url", "alipay_public_key_pem"[, "alipay_public_cert_pem",
 * "alipay_root_cert_pem"]} — for a parent process to read. Nothing else goes to stdout. SIGTERM or
 * SIGINT stops it cleanly (exit code 0).
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      'key-file': { type: 'string' },
      'cert-file': { type: 'string' },
      'root-cert-file': { type: 'string' },
      verbose: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const port = parsePort(values.port);
  if ((values['cert-file'] === undefined) !== (values['root-cert-file'] === undefined))
    throw new Error('--cert-file and --root-cert-file go together');

  const sim = createAlipaySimulator({
    clock: systemClock,
    random: secureRandom,
    ...(values['key-file'] !== undefined ? { keyFile: values['key-file'] } : {}),
    ...(values['cert-file'] !== undefined && values['root-cert-file'] !== undefined
      ? {
          certs: {
            alipay_public_cert_pem: readFileSync(values['cert-file'], 'utf8'),
            alipay_root_cert_pem: readFileSync(values['root-cert-file'], 'utf8'),
          },
        }
      : {}),
    logger: values.verbose,
  });
  await serveStandalone(sim, port, (url) => ({
    url,
    gateway_url: `${url}/gateway.do`,
    alipay_public_key_pem: sim.alipayPublicKeyPem,
    ...(sim.alipayPublicCertPem !== undefined
      ? { alipay_public_cert_pem: sim.alipayPublicCertPem, alipay_root_cert_pem: sim.alipayRootCertPem }
      : {}),
  }));
}

runMain('alipay simulator', main);
