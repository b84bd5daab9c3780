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

type Info = { url: string; gateway_url: string; alipay_public_key_pem: string };

function startMain(args: string[]): Promise<StartedMain<Info>> {
  return start<Info>(MAIN, args, 15_000);
}

describe('simulator main.ts', () => {
  it('prints one JSON line, serves, exits 0 on SIGTERM, and keeps its key across restarts', async () => {
    const key_file = join(mkdtempSync(join(tmpdir(), 'alisim-main-')), 'alipay-key.json');
    const first = await startMain(['--port', '0', '--key-file', key_file]);
    expect(first.info.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(first.info.gateway_url).toBe(`${first.info.url}/gateway.do`);
    expect(first.info.alipay_public_key_pem).toContain('-----BEGIN PUBLIC KEY-----');
    expect(statSync(key_file).mode & 0o777).toBe(0o600);
    const response = await fetch(`${first.info.url}/sim/orders/pay_none`);
    expect(response.status).toBe(404);
    expect(await stop(first.child)).toEqual({ code: 0, signal: null });
    expect(first.stdout().split('\n')).toEqual([expect.any(String), '']);

    const second = await startMain(['--port', '0', '--key-file', key_file]);
    expect(second.info.alipay_public_key_pem).toBe(first.info.alipay_public_key_pem);
    expect(await stop(second.child)).toEqual({ code: 0, signal: null });
  });

  it('refuses a certificate without its root bundle, with exit code 1', async () => {
    await expect(startMain(['--cert-file', '/nonexistent'])).rejects.toThrow(/exited with 1 .*go together/s);
  });
});
