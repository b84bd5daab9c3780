/**
 * The one error catalogue. Every error a caller can see has a stable code, an HTTP status, a
 * message that says what to fix, and whether retrying the same request can help. Codes never
 * change meaning; new ones are added at the end of their group. docs/errors.md lists them all.
 */
export const ERROR_CATALOGUE = {
  // Authentication of merchant requests
  AUTH_MISSING: {
    status: 401,
    retryable: false,
    message:
      'Sign the request: send Paymux-App-Id, Paymux-Timestamp, Paymux-Nonce and Paymux-Signature headers.',
  },
  AUTH_APP_UNKNOWN: {
    status: 401,
    retryable: false,
    message: 'No active app has this Paymux-App-Id; check the id in the console.',
  },
  AUTH_SIGNATURE_INVALID: {
    status: 401,
    retryable: false,
    message:
      'The signature does not match. Sign METHOD\\nPATH?QUERY\\nTIMESTAMP\\nNONCE\\nBODY\\n with HMAC-SHA256 and the app secret, hex-encoded (docs/api/signing.md).',
  },
  AUTH_TIMESTAMP_SKEW: {
    status: 401,
    retryable: false,
    message:
      'Paymux-Timestamp is more than 300 seconds away from the server clock; use the current Unix time in seconds and check the client clock.',
  },
  AUTH_NONCE_REUSED: {
    status: 401,
    retryable: false,
    message: 'This Paymux-Nonce was already used; send a fresh random nonce with every request.',
  },
  // Shape of the request
  REQUEST_MALFORMED: { status: 400, retryable: false, message: 'The body is not valid JSON.' },
  REQUEST_BODY_TOO_LARGE: {
    status: 413,
    retryable: false,
    message: 'The body is larger than the limit of 65536 bytes.',
  },
  REQUEST_UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    retryable: false,
    message: 'Send the body as application/json.',
  },
  REQUEST_INVALID: {
    status: 400,
    retryable: false,
    message: 'A parameter is missing or has the wrong type or format.',
  },
  REQUEST_UNKNOWN_FIELD: {
    status: 400,
    retryable: false,
    message: 'The body has a field this endpoint does not take; remove it or check its spelling.',
  },
  AMOUNT_INVALID: {
    status: 400,
    retryable: false,
    message: 'amount must be a whole number of fen from 1 to 10000000000.',
  },
  PAYMENT_CODE_INVALID: {
    status: 400,
    retryable: false,
    message: 'auth_code is not a valid payment code for this pay_way.',
  },
  PAY_WAY_UNSUPPORTED: { status: 400, retryable: false, message: 'This pay_way is not available yet.' },
  NOT_FOUND: { status: 404, retryable: false, message: 'No such endpoint.' },
  // Idempotency
  IDEMPOTENCY_KEY_REUSED: {
    status: 422,
    retryable: false,
    message: 'This Idempotency-Key was used with a different request; use a new key for a new request.',
  },
  IDEMPOTENCY_IN_PROGRESS: {
    status: 409,
    retryable: true,
    message: 'A request with this Idempotency-Key is still being processed; retry after it finishes.',
  },
  MERCHANT_ORDER_NO_REUSED: {
    status: 409,
    retryable: false,
    message:
      'This merchant_order_no already belongs to a payment with other parameters; use a new order number.',
  },
  // Payments
  PAYMENT_NOT_FOUND: {
    status: 404,
    retryable: false,
    message: 'No payment with this id or merchant order number belongs to this app.',
  },
  PAYMENT_STATE_CONFLICT: {
    status: 409,
    retryable: false,
    message: 'The payment is in a state that does not allow this operation.',
  },
  NO_CHANNEL_ACCOUNT: {
    status: 422,
    retryable: false,
    message:
      'No enabled channel account can take this pay_way for this merchant; ask the operator to bind one.',
  },
  CHANNEL_UNAVAILABLE: {
    status: 503,
    retryable: true,
    message:
      'The payment channel did not answer in time; the operation will be confirmed by query. Retry with the same Idempotency-Key.',
  },
  // Refunds
  PAYMENT_NOT_REFUNDABLE: {
    status: 409,
    retryable: false,
    message: 'Only a SUCCESS payment can be refunded.',
  },
  REFUND_AMOUNT_EXCEEDS_PAYMENT: {
    status: 409,
    retryable: false,
    message:
      'This refund would take the refunds of the payment past its amount; refund at most what remains.',
  },
  MERCHANT_REFUND_NO_REUSED: {
    status: 409,
    retryable: false,
    message:
      'This merchant_refund_no already belongs to a refund with other parameters; use a new refund number.',
  },
  REFUND_NOT_FOUND: { status: 404, retryable: false, message: 'No refund with this id belongs to this app.' },
  REFUNDS_PER_PAYMENT_EXCEEDED: {
    status: 409,
    retryable: false,
    message: 'A payment takes at most 50 refunds.',
  },
  CAPABILITY_NOT_SUPPORTED: {
    status: 422,
    retryable: false,
    message: 'The channel of this payment does not support this operation yet.',
  },
  // The QR cashier and the payer's wallet identity (pages and payment.payer_identity_failed events)
  PAYER_AUTH_DENIED: {
    status: 403,
    retryable: true,
    message:
      'The payer did not authorise the wallet to tell us who they are; open the code again and allow it.',
  },
  PAYER_AUTH_CODE_MISSING: {
    status: 400,
    retryable: true,
    message: 'The wallet returned without an authorisation code; open the code again in the wallet.',
  },
  PAYER_AUTH_CODE_REUSED: {
    status: 409,
    retryable: true,
    message:
      'The authorisation code was already used (a page reloaded or a link shared); open the code again.',
  },
  PAYER_AUTH_CODE_INVALID: {
    status: 400,
    retryable: true,
    message: 'The wallet says the authorisation code is invalid or expired; open the code again.',
  },
  PAYER_IDENTITY_MISSING: {
    status: 502,
    retryable: true,
    message: "The wallet answered without the payer's id (openid, user_id or open_id); nothing was charged.",
  },
  PAYER_AUTH_UNAVAILABLE: {
    status: 503,
    retryable: true,
    message: 'The wallet did not answer the identity request in time; open the code again.',
  },
  PAYER_AUTH_STATE_INVALID: {
    status: 400,
    retryable: true,
    message:
      'The authorisation came back to a different browser or session than it started in; open the code again.',
  },
  PAYER_AUTH_NOT_CONFIGURED: {
    status: 422,
    retryable: false,
    message:
      "The merchant's channel account cannot identify payers (for WeChat, set oauth_app_secret: the AppSecret of the appid).",
  },
  CASHIER_WALLET_NOT_ACCEPTED: {
    status: 422,
    retryable: false,
    message: 'The merchant does not accept this wallet; pay with one of the wallets the page lists.',
  },
  CASHIER_PAYMENT_TAKEN: {
    status: 409,
    retryable: false,
    message: 'Another payer or wallet is already paying this payment.',
  },
  CASHIER_PAYMENT_ENDED: {
    status: 409,
    retryable: false,
    message: 'This payment has ended (paid, closed or expired); ask the merchant for a new code.',
  },
  STATIC_CODE_NOT_FOUND: {
    status: 404,
    retryable: false,
    message: 'No active static code has this id.',
  },
  STATIC_CODE_AMOUNT_INVALID: {
    status: 400,
    retryable: false,
    message: 'Type an amount in yuan with at most two decimals, from 0.01 to 50000.00.',
  },
  // Channel notifications (answers to the channels, never to merchants)
  NOTIFY_SIGNATURE_INVALID: {
    status: 401,
    retryable: false,
    message: 'The notification signature does not verify.',
  },
  NOTIFY_MALFORMED: { status: 400, retryable: false, message: 'The notification cannot be read.' },
  NOTIFY_MISMATCH: {
    status: 400,
    retryable: false,
    message: 'The notification does not match our record of the payment.',
  },
  NOTIFY_UNKNOWN_ORDER: {
    status: 404,
    retryable: false,
    message: 'The notification names an order we do not have.',
  },
  // Server
  INTERNAL_ERROR: {
    status: 500,
    retryable: true,
    message: 'Something went wrong on our side; it is logged. Retry with the same Idempotency-Key.',
  },
} as const satisfies Record<string, { status: number; retryable: boolean; message: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export class AppError extends Error {
  override name = 'AppError';
  readonly status: number;
  readonly retryable: boolean;
  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly param?: string,
  ) {
    super(message ?? ERROR_CATALOGUE[code].message);
    this.status = ERROR_CATALOGUE[code].status;
    this.retryable = ERROR_CATALOGUE[code].retryable;
  }
}

export const ERRORS_DOC_URL = 'https://github.com/paymux/paymux/blob/main/docs/errors.md';

export interface ErrorBody {
  error: { code: ErrorCode; message: string; param?: string; retryable: boolean; doc_url: string };
}

export function errorBody(error: AppError): ErrorBody {
  return {
    error: {
      code: error.code,
      message: error.message,
      ...(error.param !== undefined ? { param: error.param } : {}),
      retryable: error.retryable,
      doc_url: `${ERRORS_DOC_URL}#${error.code.toLowerCase()}`,
    },
  };
}
