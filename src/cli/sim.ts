import { loadConfig } from '../config/env.ts';
import { readDemoFile } from '../demo/demo-file.ts';

/** `paymux sim pay PAYMENT_ID`: the payer pays in the WeChat Pay simulator, which then notifies the gateway. */
export async function simCommand(args: string[]): Promise<number> {
  const [action, payment_id] = args;
  if ((action !== 'pay' && action !== 'order') || !payment_id) {
    console.error('usage: paymux sim pay PAYMENT_ID | paymux sim order PAYMENT_ID');
    return 2;
  }
  const config = loadConfig();
  const sim_url = process.env.PAYMUX_WECHAT_SIM_URL ?? readDemoFile(config.data_dir)?.wechat_simulator_url;
  if (!sim_url) {
    console.error('no simulator URL: run `npm start` first, or set PAYMUX_WECHAT_SIM_URL');
    return 2;
  }
  const path = `/sim/orders/${encodeURIComponent(payment_id)}${action === 'pay' ? '/pay' : ''}`;
  const response = await fetch(`${sim_url}${path}`, {
    method: action === 'pay' ? 'POST' : 'GET',
    ...(action === 'pay' ? { headers: { 'content-type': 'application/json' }, body: '{}' } : {}),
  });
  const text = await response.text();
  console.log(`HTTP ${response.status}`);
  console.log(text);
  return response.ok ? 0 : 1;
}
