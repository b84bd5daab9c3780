/**
 * Every UnionPay ACP 5.1.0 constant the adapter and the simulator share, split in two parts:
 * what the public sources confirm (protocols.md §4) and what we chose where they are silent.
 * docs/channels/unionpay.md lists the same split; change a choice here and there together.
 */

// ---------------------------------------------------------------------------------------------
// Confirmed (protocols.md §4.1, §4.3, §5)

export const ACP_VERSION = '5.1.0';
export const ACP_ENCODING = 'utf-8';
/** RSA with the merchant's certificate: SHA256withRSA over the hex SHA-256 of the sorted fields. */
export const SIGN_METHOD_RSA = '01';
export const CURRENCY_CNY = '156';
/** 0 = direct merchant (直连商户). */
export const ACCESS_TYPE_DIRECT = '0';
/** 08 = mobile, what the QR code flows use. */
export const CHANNEL_TYPE_MOBILE = '08';

export const DEFAULT_GATEWAY_BASE_URL = 'https://gateway.95516.com';
/** Cloud QuickPass user authorisation (云闪付用户授权) lives on the QR host. */
export const DEFAULT_USER_AUTH_BASE_URL = 'https://qr.95516.com';
export const USER_AUTH_PATH = '/qrcGtwWeb-web/api/userAuth';
export const USER_AUTH_VERSION = '1.0.0';
/**
 * UP_JSAPI refusals about the user authorisation code, told apart by the respMsg of the refusal
 * (the simulator's wording; UnionPay's own is not in our sources), reported as these channel codes.
 */
export const USER_AUTH_CODE_REUSED = 'USER_AUTH_CODE_REUSED';
export const USER_AUTH_CODE_INVALID = 'USER_AUTH_CODE_INVALID';
export const USER_AUTH_USED_MARK = 'userAuthCode used';
export const USER_AUTH_INVALID_MARK = 'userAuthCode invalid';
export const BACK_TRANS_PATH = '/gateway/api/backTransReq.do';

export interface TxnKind {
  txnType: string;
  txnSubType: string;
  bizType: string;
}

/** Merchant-presented QR (主扫): apply for a consume QR code; the reply carries qrCode. */
export const TXN_QR_APPLY: TxnKind = { txnType: '01', txnSubType: '07', bizType: '000000' };
/** Payer-presented code (被扫): consume with the user's payment code. */
export const TXN_BAR_CONSUME: TxnKind = { txnType: '01', txnSubType: '06', bizType: '000000' };
export const TXN_QUERY: TxnKind = { txnType: '00', txnSubType: '00', bizType: '000000' };
export const TXN_REFUND: TxnKind = { txnType: '04', txnSubType: '00', bizType: '000000' };
export const TXN_CANCEL: TxnKind = { txnType: '31', txnSubType: '00', bizType: '000000' };

export const TXN_TYPE_CONSUME = '01';
export const TXN_TYPE_QUERY = '00';
export const TXN_TYPE_REFUND = '04';
export const TXN_TYPE_CANCEL = '31';

/** Consume QR codes UnionPay returns look like this (the simulator imitates it). */
export const QR_CODE_PREFIX = 'https://qr.95516.com/';

/** Reply that stops UnionPay's notification retries: HTTP 200 (the body is not read). */
export const NOTIFY_ACK_STATUS = 200;

// ---------------------------------------------------------------------------------------------
// Our choices (unconfirmed by the sources we have; see docs/channels/unionpay.md)

/**
 * ACP order numbers are 8 to 40 letters and digits, without "-" or "_" (as SDK samples describe
 * orderId); our ids are `pay_…` / `rf_…` ULIDs, so the underscore is dropped on the way out and put
 * back on the way in (order-id.ts).
 */
export const ORDER_ID_PATTERN = /^[0-9A-Za-z]{8,40}$/;

/**
 * Cloud QuickPass in-app payment (UP_JSAPI): an app consume that returns a transaction number
 * (`tn`) the page hands to the app's pay call, with the user authorisation code in a field of its
 * own. Field names and codes are our choice.
 */
export const TXN_JSAPI_CONSUME: TxnKind = { txnType: '01', txnSubType: '01', bizType: '000201' };
export const JSAPI_USER_AUTH_FIELD = 'userAuthCode';
export const JSAPI_TN_FIELD = 'tn';

/**
 * Refunds and cancels carry the payment's orderId in reqReserved (the ACP field echoed back
 * untouched), so their notifications can name the payment without a lookup.
 */
export const ORDER_REF_FIELD = 'reqReserved';

/**
 * A cancel (31) needs an orderId of its own. Deriving it from the payment's makes a repeated
 * cancel the same transaction (UnionPay answers 12, duplicate) and lets a query find it.
 */
export const CANCEL_ORDER_ID_SUFFIX = 'CX';

/**
 * UnionPay's notification retry schedule is not published in our sources. The simulator retries
 * after these gaps until HTTP 200: 15s, 1m, 5m, 15m, 1h, 2h, 6h (8 sends over about 9 h 21 min).
 */
export const NOTIFY_RETRY_DELAYS_MS: readonly number[] = [
  15_000,
  60_000,
  5 * 60_000,
  15 * 60_000,
  60 * 60_000,
  2 * 3600_000,
  6 * 3600_000,
];
export const NOTIFY_ATTEMPTS_MAX = 1 + NOTIFY_RETRY_DELAYS_MS.length;
export const NOTIFY_TIMEOUT_MS = 5_000;

/** The body of our acknowledgement (UnionPay reads only the status). */
export const NOTIFY_ACK_BODY = 'ok';
/** A refusal asks for the notification again: anything but 200 does. */
export const NOTIFY_NACK_STATUS = 400;
export const NOTIFY_NACK_BODY = 'fail';

/**
 * UnionPay's signing certificate CN reads `<type>@<code>@<name>@<serial>`; the name field must be
 * this unless the account configures another (ACP SDKs compare the same field).
 */
export const DEFAULT_SIGNER_CN_NAME = '中国银联股份有限公司';

/**
 * Bill download: a file-transfer request (txnType 76) to this path, answered with a signed form
 * whose fileContent is base64(zlib deflate(bill text)). The bill text layout is ours (bill-format.ts).
 */
export const FILE_TRANS_PATH = '/gateway/api/fileTransReq.do';
export const TXN_FILE_DOWNLOAD: TxnKind = { txnType: '76', txnSubType: '01', bizType: '000000' };
export const BILL_FILE_TYPE = '00';

/** First cell of the bill's first line, and the layout version after it. */
export const BILL_MAGIC = 'PAYMUX-UNIONPAY-BILL';
export const BILL_VERSION = '1';
export const BILL_SEPARATOR = '|';
export const BILL_COLUMNS = [
  'txnType',
  'orderId',
  'queryId',
  'origOrderId',
  'origQryId',
  'txnAmt',
  'fee',
  'respCode',
  'doneTime',
] as const;
export const BILL_TRAILER = 'TOTAL';
/** A bill is read in lines; a longer line is not ours. */
export const BILL_LINE_CHARS_MAX = 1024;
/** Upper bound on one bill download (compressed), above the HTTP client's default. */
export const BILL_RESPONSE_LIMIT_BYTES = 64 * 1024 * 1024;
/** Upper bound on rows in one bill, so a broken file cannot make us loop without end. */
export const BILL_ROWS_MAX = 5_000_000;
/** Upper bound on a bill's inflated text: a small compressed reply must not expand without end. */
export const BILL_TEXT_BYTES_MAX = 1024 * 1024 * 1024;
