import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The demo's ids and credentials, kept in the data directory (mode 0600) so `paymux call` and
 * `paymux sim` can act as the demo merchant and payer. Only the demo writes this file.
 */
export interface DemoFile {
  merchant_id: string;
  app_id: string;
  app_secret: string;
  /** The WeChat Pay account (the first the demo had). */
  channel_account_id: string;
  gateway_url: string;
  wechat_simulator_url: string;
  /** Added when the demo grew Alipay and UnionPay; absent in older files, seeded then. */
  alipay_account_id?: string;
  unionpay_account_id?: string;
  alipay_simulator_url?: string;
  unionpay_simulator_url?: string;
  static_code_id?: string;
}

export function demoFilePath(data_dir: string): string {
  return join(data_dir, 'demo.json');
}

export function readDemoFile(data_dir: string): DemoFile | null {
  const path = demoFilePath(data_dir);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as DemoFile) : null;
}

export function writeDemoFile(data_dir: string, demo: DemoFile): void {
  const path = demoFilePath(data_dir);
  writeFileSync(path, `${JSON.stringify(demo, null, 2)}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
}
