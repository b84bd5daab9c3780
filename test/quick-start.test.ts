import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const CLI = ['--import', 'tsx', 'src/cli/main.ts'];

/**
 * The README's first steps, as a newcomer follows them: `paymux start` on an empty data folder,
 * then the printed commands — create a payment, pay it in the simulator, see the demo shop receive
 * the signed notification. Runs the real CLI in child processes.
 */
describe('quick start', () => {
  const data_dir = mkdtempSync(join(tmpdir(), 'paymux-quickstart-'));
  const env = { ...process.env, PAYMUX_DATA_DIR: data_dir, PAYMUX_PORT: '0', PAYMUX_LOG_LEVEL: 'warn' };
  let server: ChildProcess | null = null;
  let output = '';

  afterAll(() => {
    server?.kill('SIGKILL');
    rmSync(data_dir, { recursive: true, force: true });
  });

  async function waitFor(pattern: RegExp, timeout_ms: number): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeout_ms;
    while (Date.now() < deadline) {
      const m = output.match(pattern);
      if (m) return m;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`timed out waiting for ${pattern}; output so far:\n${output}`);
  }

  it('start → create → pay in the simulator → the demo shop hears of it', async () => {
    server = spawn(process.execPath, [...CLI, 'start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    server.stdout!.on('data', (d) => (output += d));
    server.stderr!.on('data', (d) => (output += d));
    const step1 = await waitFor(/1\. npm run paymux -- call POST \/v1\/payments '(.+)'/, 30_000);
    expect(output).toContain('Gateway API');
    expect(statSync(join(data_dir, 'master.key')).mode & 0o777).toBe(0o600);
    expect(statSync(join(data_dir, 'demo.json')).mode & 0o777).toBe(0o600);

    const created = await run(process.execPath, [...CLI, 'call', 'POST', '/v1/payments', step1[1]!], { env });
    expect(created.stdout).toContain('HTTP 201  response signature valid');
    const id = /"id": "(pay_[0-9A-Z]+)"/.exec(created.stdout)![1]!;
    expect(created.stdout).toContain('"state": "PENDING"');

    const paid = await run(process.execPath, [...CLI, 'sim', 'pay', id], { env });
    expect(paid.stdout).toContain('HTTP 200');
    await waitFor(
      new RegExp(`demo shop received payment.succeeded for ${id} \\(SUCCESS, 1 fen\\): signature valid`),
      15_000,
    );

    const after = await run(process.execPath, [...CLI, 'call', 'GET', `/v1/payments/${id}`], { env });
    expect(after.stdout).toContain('"state": "SUCCESS"');

    const exited = new Promise<number | null>((resolve) => server!.once('exit', (code) => resolve(code)));
    server.kill('SIGTERM');
    expect(await exited).toBe(0);
    server = null;
  }, 60_000);

  it('refuses a bad configuration with a message naming the variable', async () => {
    const failed = await run(process.execPath, [...CLI, 'migrate'], {
      env: { ...env, PAYMUX_PORT: 'eighty' },
    }).catch((e) => e);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('PAYMUX_PORT must be a whole number');
    const bad_db = await run(process.execPath, [...CLI, 'migrate'], {
      env: { ...env, DATABASE_URL: 'mysql://x' },
    }).catch((e) => e);
    expect(bad_db.stderr).toContain('DATABASE_URL must be postgres://');
  }, 30_000);
});
