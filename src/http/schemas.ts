import { type Static, Type } from '@sinclair/typebox';
import { PAYMENT_AMOUNT_MAX_FEN, PAYMENT_AMOUNT_MIN_FEN } from '../domain/money.ts';
import { PAY_WAYS, type PayWay } from '../domain/pay-way.ts';
import { PAYMENT_STATES } from '../domain/payment-state.ts';
import { REFUND_STATES } from '../domain/refund-state.ts';

/**
 * One definition per shape: it validates requests, filters responses (fields not listed here are
 * never sent, so a secret cannot leak by accident) and becomes the OpenAPI document.
 */

export const MerchantOrderNo = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: '^[A-Za-z0-9_\\-|*.:]+$',
  description: 'Your order number, unique per app: 1-64 of A-Z a-z 0-9 _ - | * . :',
});

export const CreatePaymentBody = Type.Object(
  {
    merchant_order_no: MerchantOrderNo,
    pay_way: Type.Union(
      (Object.keys(PAY_WAYS) as PayWay[]).map((w) => Type.Literal(w)),
      { description: 'How the payer pays; AUTO_BAR takes the payment code of any wallet.' },
    ),
    amount: Type.Integer({
      minimum: PAYMENT_AMOUNT_MIN_FEN,
      maximum: PAYMENT_AMOUNT_MAX_FEN,
      description: 'Amount in fen (1 = CNY 0.01).',
    }),
    subject: Type.String({
      minLength: 1,
      maxLength: 127,
      description: 'What is paid for; shown to the payer.',
    }),
    notify_url: Type.Optional(
      Type.String({
        maxLength: 512,
        pattern: '^https?://',
        description: 'Where Paymux POSTs signed events about this payment.',
      }),
    ),
    client_ip: Type.Optional(
      Type.String({ maxLength: 45, pattern: '^[0-9A-Fa-f:.]+$', description: "The payer's IP address." }),
    ),
    expires_in_s: Type.Optional(
      Type.Integer({
        minimum: 60,
        maximum: 86_400,
        description: 'Seconds until an unpaid payment is closed; default 7200.',
      }),
    ),
    auth_code: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description: '*_BAR and AUTO_BAR: the payment code (付款码) scanned from the payer.',
      }),
    ),
    payer: Type.Optional(
      Type.Object(
        {
          wechat_openid: Type.Optional(
            Type.String({ minLength: 1, maxLength: 128, description: 'WX_JSAPI, WX_LITE' }),
          ),
          alipay_buyer_id: Type.Optional(
            Type.String({ minLength: 1, maxLength: 128, description: 'ALI_JSAPI (2088…)' }),
          ),
          alipay_open_id: Type.Optional(
            Type.String({ minLength: 1, maxLength: 128, description: 'ALI_JSAPI (newer apps)' }),
          ),
          unionpay_user_auth_code: Type.Optional(
            Type.String({ minLength: 1, maxLength: 256, description: 'UP_JSAPI' }),
          ),
        },
        { additionalProperties: false, description: 'Who pays, for the in-wallet pay ways.' },
      ),
    ),
    return_url: Type.Optional(
      Type.String({
        maxLength: 512,
        pattern: '^https?://',
        description: 'ALI_WAP, ALI_PC, WX_H5: where the browser returns after paying.',
      }),
    ),
    metadata: Type.Optional(
      Type.Record(Type.String({ maxLength: 40 }), Type.String({ maxLength: 500 }), {
        maxProperties: 20,
        description: 'Up to 20 string pairs kept with the payment and returned in events.',
      }),
    ),
  },
  { additionalProperties: false, $id: 'CreatePaymentBody' },
);
export type CreatePaymentBody = Static<typeof CreatePaymentBody>;

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const Payment = Type.Object(
  {
    id: Type.String({ description: 'pay_… id' }),
    object: Type.Literal('payment'),
    app_id: Type.String(),
    merchant_order_no: Type.String(),
    pay_way: Type.String(),
    channel: Type.String(),
    amount: Type.Integer({ description: 'fen' }),
    currency: Type.String(),
    subject: Type.String(),
    state: Type.Union(PAYMENT_STATES.map((s) => Type.Literal(s))),
    code_url: Nullable(Type.String({ description: 'QR code content for WX_NATIVE, ALI_QR, UP_QR' })),
    credential: Type.Union([
      Type.Object(
        {
          code_url: Type.Optional(Type.String()),
          pay_url: Type.Optional(Type.String({ description: 'WX_H5 h5_url; ALI_WAP / ALI_PC page URL' })),
          pay_form_html: Type.Optional(Type.String({ description: 'ALI_WAP / ALI_PC auto-submitting form' })),
          jsapi_params: Type.Optional(
            Type.Record(Type.String(), Type.String(), {
              description: 'WX_JSAPI / WX_LITE: for WeixinJSBridge or wx.requestPayment',
            }),
          ),
          app_params: Type.Optional(
            Type.Record(Type.String(), Type.String(), { description: 'WX_APP: for the app SDK' }),
          ),
          app_order_string: Type.Optional(Type.String({ description: 'ALI_APP: for the app SDK' })),
          trade_no: Type.Optional(
            Type.String({ description: 'ALI_JSAPI / UP_JSAPI: for the wallet pay call' }),
          ),
        },
        { description: 'What the payer needs to pay, by pay way' },
      ),
      Type.Null(),
    ]),
    qr_image_url: Nullable(Type.String()),
    channel_trade_no: Nullable(Type.String()),
    failure_code: Nullable(Type.String()),
    failure_message: Nullable(Type.String()),
    metadata: Type.Union([Type.Record(Type.String(), Type.String()), Type.Null()]),
    expires_at: Type.String({ format: 'date-time' }),
    paid_at: Nullable(Type.String({ format: 'date-time' })),
    created_at: Type.String({ format: 'date-time' }),
  },
  { $id: 'Payment' },
);

export const ErrorResponse = Type.Object(
  {
    error: Type.Object({
      code: Type.String(),
      message: Type.String(),
      param: Type.Optional(Type.String()),
      retryable: Type.Boolean(),
      doc_url: Type.String(),
    }),
  },
  { $id: 'Error' },
);

export const PaymentIdParams = Type.Object({ id: Type.String({ pattern: '^pay_[0-9A-HJKMNP-TV-Z]{26}$' }) });
export const OrderNoParams = Type.Object({ merchant_order_no: MerchantOrderNo });

export const SignedHeaders = Type.Object({
  'paymux-app-id': Type.String({ description: 'Your app id (app_…)' }),
  'paymux-timestamp': Type.String({ description: 'Unix time in seconds' }),
  'paymux-nonce': Type.String({ description: '8-64 random characters of A-Z a-z 0-9 _ -, never reused' }),
  'paymux-signature': Type.String({ description: 'Hex HMAC-SHA256, see docs/api/signing.md' }),
  'idempotency-key': Type.Optional(
    Type.String({ description: 'Makes a write safe to retry (Stripe semantics)' }),
  ),
});

export const errorResponses = {
  400: ErrorResponse,
  401: ErrorResponse,
  404: ErrorResponse,
  409: ErrorResponse,
  413: ErrorResponse,
  415: ErrorResponse,
  422: ErrorResponse,
  500: ErrorResponse,
  503: ErrorResponse,
};

export const CreateRefundBody = Type.Object(
  {
    merchant_refund_no: Type.String({
      minLength: 1,
      maxLength: 64,
      pattern: '^[A-Za-z0-9_\\-|*.:]+$',
      description:
        'Your refund number, unique per app; a retry with the same number and parameters returns the same refund.',
    }),
    amount: Type.Integer({
      minimum: PAYMENT_AMOUNT_MIN_FEN,
      maximum: PAYMENT_AMOUNT_MAX_FEN,
      description: 'Amount to refund in fen.',
    }),
    reason: Type.Optional(Type.String({ maxLength: 80, description: 'Shown to the payer by some wallets.' })),
    notify_url: Type.Optional(
      Type.String({
        maxLength: 512,
        pattern: '^https?://',
        description: "Where refund events go; default: the payment's notify_url.",
      }),
    ),
  },
  { additionalProperties: false, $id: 'CreateRefundBody' },
);
export type CreateRefundBody = Static<typeof CreateRefundBody>;

export const Refund = Type.Object(
  {
    id: Type.String({ description: 'rf_… id' }),
    object: Type.Literal('refund'),
    payment_id: Type.String(),
    merchant_refund_no: Type.String(),
    amount: Type.Integer({ description: 'fen' }),
    reason: Nullable(Type.String()),
    state: Type.Union(REFUND_STATES.map((s) => Type.Literal(s))),
    channel_refund_no: Nullable(Type.String()),
    failure_code: Nullable(Type.String()),
    failure_message: Nullable(Type.String()),
    succeeded_at: Nullable(Type.String({ format: 'date-time' })),
    created_at: Type.String({ format: 'date-time' }),
  },
  { $id: 'Refund' },
);

export const RefundList = Type.Object({ object: Type.Literal('list'), data: Type.Array(Refund) });
export const RefundIdParams = Type.Object({ id: Type.String({ pattern: '^rf_[0-9A-HJKMNP-TV-Z]{26}$' }) });

export const PAGE_LIMIT_MAX = 100;

export const ListPaymentsQuery = Type.Object(
  {
    limit: Type.Optional(
      Type.String({ pattern: '^(100|[1-9][0-9]?)$', description: `1 to ${PAGE_LIMIT_MAX}; default 20` }),
    ),
    starting_after: Type.Optional(
      Type.String({
        pattern: '^pay_[0-9A-HJKMNP-TV-Z]{26}$',
        description: 'The last id of the previous page',
      }),
    ),
    state: Type.Optional(Type.Union(PAYMENT_STATES.map((s) => Type.Literal(s)))),
  },
  { additionalProperties: false },
);

export const PaymentList = Type.Object({
  object: Type.Literal('list'),
  data: Type.Array(Payment),
  has_more: Type.Boolean(),
});
