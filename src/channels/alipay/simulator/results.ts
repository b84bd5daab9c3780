/**
 * The business objects the simulated gateway answers with (the value of `*_response`), in
 * Alipay's shapes (protocols.md §3.4): code and msg always, sub_code and sub_msg on failures.
 */
export interface SimResult {
  code: string;
  msg: string;
  sub_code?: string;
  sub_msg?: string;
  [field: string]: unknown;
}

export function success(fields: Record<string, unknown> = {}): SimResult {
  const out: SimResult = { code: '10000', msg: 'Success' };
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) out[key] = value;
  return out;
}

export function businessFailed(sub_code: string, sub_msg: string): SimResult {
  return { code: '40004', msg: 'Business Failed', sub_code, sub_msg };
}

export function invalidArguments(sub_code: string, sub_msg: string): SimResult {
  return { code: '40002', msg: 'Invalid Arguments', sub_code, sub_msg };
}

export function missingArgument(sub_code: string, sub_msg: string): SimResult {
  return { code: '40001', msg: 'Missing Required Arguments', sub_code, sub_msg };
}

export const SERVICE_UNAVAILABLE: SimResult = {
  code: '20000',
  msg: 'Service Currently Unavailable',
  sub_code: 'isp.unknow-error',
  sub_msg: '系统繁忙',
};

export const TRADE_SYSTEM_ERROR = businessFailed('ACQ.SYSTEM_ERROR', '系统错误');
export const TRADE_NOT_EXIST = businessFailed('ACQ.TRADE_NOT_EXIST', '交易不存在');
