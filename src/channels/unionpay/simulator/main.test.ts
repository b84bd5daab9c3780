import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  type StartedMain,
  startMain as start,
  stopMain as stop,
} from '../../simulator-kit/standalone-testing.ts';

/** The standalone simulator process: one JSON line on stdout once listening, clean exit on SIGTERM. */
const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

interface Info {
  url: string;
  root_cert_pem: string;
  middle_cert_pem: string;
  sign_cert_pem: string;
  key_dir: string;
}

function startMain(args: string[]): Promise<StartedMain<Info>> {
  return start<Info>(MAIN, args, 20_000);
}

describe('simulator main.ts', () => {
  it('prints one JSON line, serves, exits 0, and keeps its CA (files 0600) across restarts', async () => {
    const key_dir = join(mkdtempSync(join(tmpdir(), 'upsim-main-')), 'keys');
    const first = await startMain(['--port', '0', '--key-dir', key_dir]);
    expect(first.info.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(first.info.root_cert_pem).toContain('-----BEGIN CERTIFICATE-----');
    expect(first.info.key_dir).toBe(key_dir);
    for (const file of ['root.pem', 'middle.pem', 'sign.pem', 'sign.key']) {
      expect(statSync(join(key_dir, file)).mode & 0o777).toBe(0o600);
    }
    const response = await fetch(`${first.info.url}/sim/orders/pay01NONE`);
    expect(response.status).toBe(404);
    await response.arrayBuffer();
    expect(await stop(first.child)).toEqual({ code: 0, signal: null });

    const second = await startMain(['--port', '0', '--key-dir', key_dir]);
    expect(second.info.sign_cert_pem).toBe(first.info.sign_cert_pem);
    expect(second.info.middle_cert_pem).toBe(first.info.middle_cert_pem);
    expect(await stop(second.child)).toEqual({ code: 0, signal: null });
  });
});
