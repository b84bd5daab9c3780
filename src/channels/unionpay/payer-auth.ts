import { configProblemOf, identityFailed } from '../payer-authorization.ts';
import { withQuery } from '../simulator-kit/one-time-codes.ts';
import type { ChannelAccount, PayerAuthorization } from '../types.ts';
import type { UnionpayConfig } from './config.ts';
import { USER_AUTH_PATH, USER_AUTH_VERSION } from './constants.ts';

/**
 * Who the payer is inside Cloud QuickPass (云闪付), for UP_JSAPI: user authorisation. The payer's
 * browser goes to qr.95516.com/qrcGtwWeb-web/api/userAuth?version=1.0.0&redirectUrl=<enc>; the
 * app sends it back to redirectUrl with `userAuthCode` and `respCode` (00 = authorised). Our
 * `state` rides inside redirectUrl, as a query parameter of our own page.
 *
 * There is no exchange step in the ACP protocol this adapter speaks: the userAuthCode itself goes
 * into the UP_JSAPI consume (field userAuthCode), where UnionPay checks it — a code used twice is
 * refused there, and the adapter reports that refusal as channel_code USER_AUTH_CODE_REUSED.
 * (Acquirer-level protocols have a userId lookup for the code, e.g. `up.fpsd.trade.utp.userid.get`;
 * see docs/channels/unionpay.md.) So `exchange` only checks the callback.
 */
const USER_AUTH_CODE = /^[\x21-\x7e]{1,256}$/;

export function unionpayPayerAuthorization(
  configOf: (account: ChannelAccount) => UnionpayConfig,
): PayerAuthorization {
  return {
    pay_way: 'UP_JSAPI',
    configProblem: (account) => configProblemOf(configOf, account),
    authorizeUrl(account, redirect_uri, state) {
      const config = configOf(account);
      const back = withQuery(redirect_uri, { state });
      return `${config.user_auth_base_url}${USER_AUTH_PATH}?version=${USER_AUTH_VERSION}&redirectUrl=${encodeURIComponent(back)}`;
    },
    async exchange(_ctx, _account, callback) {
      const resp_code = callback.respCode?.trim();
      if (resp_code !== undefined && resp_code !== '' && resp_code !== '00')
        return identityFailed(
          'PAYER_AUTH_DENIED',
          `Cloud QuickPass answered respCode ${resp_code.slice(0, 8)}`,
        );
      const code = callback.userAuthCode?.trim() ?? '';
      if (code === '')
        return identityFailed('PAYER_AUTH_CODE_MISSING', 'the callback carries no userAuthCode');
      if (!USER_AUTH_CODE.test(code) || code === 'undefined' || code === 'null')
        return identityFailed('PAYER_AUTH_CODE_INVALID', 'the userAuthCode is malformed');
      return { kind: 'identified', payer: { unionpay_user_auth_code: code } };
    },
  };
}
