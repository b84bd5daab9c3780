import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FaultRule } from '../../simulator-kit/faults.ts';
import { ACP_VERSION, BACK_TRANS_PATH, FILE_TRANS_PATH, SIGN_METHOD_RSA } from '../constants.ts';
import { verifyAcp } from '../crypto.ts';
import { type AcpFields, decodeForm, encodeForm, FORM_CONTENT_TYPE } from '../form.ts';
import { handleFileTrans } from './bill-file.ts';
import type { SimCore } from './core.ts';
import type { SimMerchant } from './merchants.ts';
import { reply } from './respond.ts';
import { handleBackTrans, operationOf } from './transactions.ts';

/**
 * The ACP gateway endpoints: a form in, a signed form out. Each request is authenticated first —
 * a known merId, its registered certificate's certId, a signature that verifies with it — and
 * refused with respCode 11 (验证签名失败) otherwise; then the faults of its operation apply:
 *   latency_ms    answer that much later (real time)
 *   http_500      answer HTTP 500 without doing anything
 *   timeout       do the transaction, never answer
 *   system_error  do the transaction, answer respCode 03 (timed out inside UnionPay, query)
 *   user_paying   (payment codes) the payer must confirm first: answer 05
 */
type Authenticated = { ok: true; merchant: SimMerchant } | { ok: false; code: string };

function authenticate(core: SimCore, fields: Readonly<AcpFields>): Authenticated {
  if (fields.version !== ACP_VERSION || fields.signMethod !== SIGN_METHOD_RSA)
    return { ok: false, code: '10' };
  if (!fields.merId || !fields.certId || !fields.signature) return { ok: false, code: '13' };
  const merchant = core.merchants.get(fields.merId);
  if (!merchant) return { ok: false, code: '31' };
  if (fields.certId !== merchant.cert_id || !verifyAcp(fields, merchant.public_key))
    return { ok: false, code: '11' };
  return { ok: true, merchant };
}

async function sendSigned(core: SimCore, res: FastifyReply, fields: AcpFields): Promise<FastifyReply> {
  const signed = await core.signer.sign(fields);
  return res.code(200).type(FORM_CONTENT_TYPE).send(encodeForm(signed));
}

type Handler = (merchant: SimMerchant, fields: Readonly<AcpFields>, rules: FaultRule[]) => Promise<AcpFields>;

function route(core: SimCore, operation: (fields: Readonly<AcpFields>) => string, handle: Handler) {
  return async (request: FastifyRequest, res: FastifyReply) => {
    const fields = decodeForm(typeof request.body === 'string' ? request.body : '');
    if (!fields) return sendSigned(core, res, reply({}, '10'));
    const auth = authenticate(core, fields);
    if (!auth.ok) return sendSigned(core, res, reply(fields, auth.code));
    const rules = core.faults.take(operation(fields), fields.orderId);
    const latency_ms = rules.find((r) => r.kind === 'latency_ms')?.latency_ms;
    if (latency_ms !== undefined && latency_ms > 0) await sleep(latency_ms);
    if (rules.some((r) => r.kind === 'http_500'))
      return res.code(500).type('text/plain').send('system error');
    const answer = await handle(auth.merchant, fields, rules);
    if (rules.some((r) => r.kind === 'timeout')) {
      // Done, but never answered: the client's deadline fires; the server's close ends the socket.
      res.hijack();
      return res;
    }
    if (rules.some((r) => r.kind === 'system_error')) return sendSigned(core, res, reply(fields, '03'));
    return sendSigned(core, res, answer);
  };
}

export function registerGatewayRoutes(app: FastifyInstance, core: SimCore): void {
  app.post(
    BACK_TRANS_PATH,
    route(core, operationOf, (merchant, fields, rules) => handleBackTrans(core, merchant, fields, rules)),
  );
  app.post(
    FILE_TRANS_PATH,
    route(
      core,
      () => 'bill',
      async (merchant, fields, rules) => handleFileTrans(core, merchant, fields, rules),
    ),
  );
}
