import { describe, expect, it } from 'vitest';
import { walletOfUserAgent } from './wallet.ts';

const UA = {
  wechat:
    'Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36 XWEB/1160065 MMWEBSDK/20231202 MMWEBID/2247 MicroMessenger/8.0.47.2560(0x28002F35) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64',
  wechat_mini:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.44(0x18002c2d) NetType/WIFI Language/zh_CN miniProgram/wx1234567890abcdef',
  alipay:
    'Mozilla/5.0 (Linux; U; Android 13; zh-CN; V2219A Build/TP1A.220624.014) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/69.0.3497.100 UWS/3.22.2.59 Mobile Safari/537.36 UCBS/3.22.2.59_230817150745 ChannelId(1) NebulaSDK/1.8.100112 Nebula AlipayDefined(nt:WIFI,ws:393|0|2.75) AliApp(AP/10.5.26.8000) AlipayClient/10.5.26.8000 Language/zh-Hans useStatusBar/true isConcaveScreen/true Region/CNAriver/1.0.0',
  unionpay:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 (com.unionpay.chsp) (cordova 4.5.4) (updebug 0) (version 1010) (UnionPay/1.0 CloudPay) (clientVersion 310) (language zh_CN)',
  qq: 'Mozilla/5.0 (Linux; Android 12; M2102K1C) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/89.0.4389.72 MQQBrowser/6.2 TBS/046141 Mobile Safari/537.36 V1_AND_SQ_8.9.38_4256_YYB_D QQ/8.9.38.10545 NetType/WIFI',
  chrome:
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36',
};

describe('walletOfUserAgent', () => {
  it('recognises each wallet, including WeChat inside a mini program', () => {
    expect(walletOfUserAgent(UA.wechat)).toBe('wechat');
    expect(walletOfUserAgent(UA.wechat_mini)).toBe('wechat');
    expect(walletOfUserAgent(UA.alipay)).toBe('alipay');
    expect(walletOfUserAgent(UA.unionpay)).toBe('unionpay');
  });
  it('names no wallet for QQ, a desktop browser or no User-Agent at all', () => {
    expect(walletOfUserAgent(UA.qq)).toBeNull();
    expect(walletOfUserAgent(UA.chrome)).toBeNull();
    expect(walletOfUserAgent(undefined)).toBeNull();
    expect(walletOfUserAgent('')).toBeNull();
  });
});
