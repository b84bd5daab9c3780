import { loadConfig } from '../config/env.ts';
import { readDemoFile } from '../demo/demo-file.ts';
import { PaymuxClient } from '../sdk/client.ts';

/** `paymux call POST /v1/payments '{"…"}'`: a signed request, its answer and whether its signature holds. */
export async function callCommand(args: string[]): Promise<number> {
  const [method, path, json] = args;
  if (!method || !path?.startsWith('/')) {
    console.error('usage: paymux call METHOD PATH [JSON]   e.g. paymux call GET /v1/payments/pay_…');
    return 2;
  }
  const config = loadConfig();
  const demo = readDemoFile(config.data_dir);
  const app_id = process.env.PAYMUX_APP_ID ?? demo?.app_id;
  const secret = process.env.PAYMUX_APP_SECRET ?? demo?.app_secret;
  const base_url =
    process.env.PAYMUX_URL ??
    demo?.gateway_url ??
    config.public_url ??
    `http://${config.host}:${config.port}`;
  if (!app_id || !secret) {
    console.error(
      'no credentials: run `npm start` once (it writes data/demo.json) or set PAYMUX_APP_ID and PAYMUX_APP_SECRET',
    );
    return 2;
  }
  let body: unknown;
  if (json !== undefined) {
    try {
      body = JSON.parse(json);
    } catch {
      console.error('the JSON argument is not valid JSON');
      return 2;
    }
  }
  const client = new PaymuxClient({ base_url, app_id, secret });
  const idempotency_key = process.env.PAYMUX_IDEMPOTENCY_KEY;
  const response = await client.request(
    method.toUpperCase(),
    path,
    body,
    idempotency_key ? { 'idempotency-key': idempotency_key } : {},
  );
  console.log(
    `HTTP ${response.status}  response signature ${response.signature_valid ? 'valid' : 'MISSING OR INVALID'}`,
  );
  console.log(JSON.stringify(response.body, null, 2));
  return response.status < 400 ? 0 : 1;
}
