import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** The standalone simulator process: one JSON line on stdout once listening, clean exit on SIGTERM. */
const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

interface Started {
  child: ChildProcess;
  info: { url: string; gateway_url: string; alipay_public_key_pem: string };
  stdout: () => string;
}

function startMain(args: string[]): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (c: Buffer) => {
    err += c.toString('utf8');
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no JSON line within 15 s; stderr: ${err}`));
    }, 15_000);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString('utf8');
      const newline = out.indexOf('\n');
      if (newline >= 0) {
        clearTimeout(timer);
        resolve({ child, info: JSON.parse(out.slice(0, newline)), stdout: () => out });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before listening; stderr: ${err}`));
    });
  });
}

function stop(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.kill('SIGTERM');
  });
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
