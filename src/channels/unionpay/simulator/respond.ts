import { ACP_ENCODING, ACP_VERSION, SIGN_METHOD_RSA } from '../constants.ts';
import type { AcpFields } from '../form.ts';

/** Messages of the response codes the simulator sends (wording after ACP SDK samples). */
export const RESP_MESSAGES: Readonly<Record<string, string>> = {
  '00': '成功[0000000]',
  '01': '交易失败',
  '03': '交易通讯超时，请发起查询交易',
  '05': '交易已受理，请稍后查询交易结果',
  '10': '报文格式错误',
  '11': '验证签名失败',
  '12': '重复交易',
  '13': '报文交易要素缺失',
  '31': '商户状态不正确',
  '32': '无此交易权限',
  '33': '交易金额超限',
  '34': '查无此交易',
  '35': '原交易不存在或状态不正确',
  '36': '与原交易信息不符',
  '61': '输入的卡号无效',
};

const ECHOED = ['txnType', 'txnSubType', 'bizType', 'accessType', 'merId', 'orderId', 'txnTime'] as const;

/** A reply to `request`: the common fields, the request's identity echoed, and the code. */
export function reply(request: Readonly<AcpFields>, resp_code: string, extra: AcpFields = {}): AcpFields {
  const out: AcpFields = { version: ACP_VERSION, encoding: ACP_ENCODING, signMethod: SIGN_METHOD_RSA };
  for (const name of ECHOED) {
    const value = request[name];
    if (value !== undefined && value !== '') out[name] = value;
  }
  return { ...out, respCode: resp_code, respMsg: RESP_MESSAGES[resp_code] ?? '', ...extra };
}
