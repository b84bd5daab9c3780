import { parseArgs } from 'node:util';
import { systemClock } from '../../../domain/clock.ts';
import { secureRandom } from '../../../domain/random.ts';
import { parsePort, runMain, serveStandalone } from '../../simulator-kit/standalone.ts';
import { createWechatSimulator } from './server.ts';

/**
 * Runs the WeChat Pay simulator as its own process:
 *
 *   tsx src/channels/wechat/simulator/main.ts --port 0 [--key-file path] [--verbose]
 *
 * Listens on 127.0.0.1 only (the control API is unauthenticated) and, once listening, prints one
 * JSON line to stdout — {"url", "public_key_id", "public_key_pem"} — for a parent process to read.
 * Nothing else goes to stdout. SIGTERM or SIGINT stops it cleanly (exit code 0).
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      'key-file': { type: 'string' },
      verbose: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const port = parsePort(values.port);

  const sim = createWechatSimulator({
    clock: systemClock,
    random: secureRandom,
    ...(values['key-file'] !== undefined ? { platformKeyFile: values['key-file'] } : {}),
    logger: values.verbose,
  });
  await serveStandalone(sim, port, (url) => ({
    url,
    public_key_id: sim.platformPublicKeyId,
    public_key_pem: sim.platformPublicKeyPem,
  }));
}

runMain('wechat simulator', main);
