import pino, { type Logger } from 'pino';

/**
 * The one logger factory. Header and key names that carry secrets are redacted wherever they
 * appear, as a second guard behind the rule that secrets are never passed to a log call.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["paymux-signature"]',
  'headers.authorization',
  'headers["paymux-signature"]',
  '*.secret',
  '*.app_secret',
  '*.apiv3_key',
  '*.merchant_private_key_pem',
  '*.private_key_pem',
  // The channels' other secret settings (channel account configs), should one ever reach a log.
  '*.oauth_app_secret',
  '*.app_private_key_pem',
  '*.app_auth_token',
  '*.sign_private_key_pem',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    { level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, base: { service: 'paymux' } },
    destination,
  );
}
