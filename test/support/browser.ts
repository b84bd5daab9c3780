import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

/**
 * Debian's Chromium driven by playwright-core (a test tool's own browser download cannot work on
 * these machines). Without /usr/bin/chromium the browser tests skip with a reason, except in CI
 * (.ci/run installs it and sets CI=true), where a missing browser fails the run.
 */
export const CHROMIUM_PATH = process.env.PAYMUX_CHROMIUM ?? '/usr/bin/chromium';

export function browserAvailable(): boolean {
  if (existsSync(CHROMIUM_PATH)) return true;
  if (process.env.CI === 'true')
    throw new Error(`the browser tests need ${CHROMIUM_PATH} (apt-get install chromium)`);
  console.warn(`skipping browser tests: ${CHROMIUM_PATH} not found (apt-get install chromium)`);
  return false;
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    // The machine's network is closed: without these flags Chromium keeps dialling Google.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

/** A phone: the viewport of a common Android handset, touch, and the wallet's User-Agent. */
export async function phoneContext(
  browser: Browser,
  user_agent: string,
  locale = 'zh-CN',
): Promise<BrowserContext> {
  return browser.newContext({
    userAgent: user_agent,
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale,
  });
}

export const SCREENSHOT_DIR = join(process.cwd(), 'test-artifacts', 'screenshots');

/** Keeps a screenshot as a test artefact (CI uploads test-artifacts/). */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name.replace(/[^\w.-]+/g, '-')}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Real wallet User-Agents (protocols.md §5), as the cashier sees them. */
export const WALLET_UA = {
  wechat:
    'Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36 XWEB/1160065 MMWEBSDK/20231202 MicroMessenger/8.0.47.2560(0x28002F35) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64',
  alipay:
    'Mozilla/5.0 (Linux; U; Android 13; zh-CN; V2219A Build/TP1A.220624.014) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/69.0.3497.100 UWS/3.22.2.59 Mobile Safari/537.36 NebulaSDK/1.8.100112 Nebula AlipayDefined(nt:WIFI,ws:393|0|2.75) AliApp(AP/10.5.26.8000) AlipayClient/10.5.26.8000 Language/zh-Hans',
  unionpay:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 (com.unionpay.chsp) (cordova 4.5.4) (updebug 0) (version 1010) (UnionPay/1.0 CloudPay) (clientVersion 310) (language zh_CN)',
  desktop:
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36',
} as const;
