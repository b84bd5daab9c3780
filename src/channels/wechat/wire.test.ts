import { describe, expect, it } from 'vitest';
import { parseRfc3339, toRfc3339Beijing } from './time.ts';
import {
  readErrorBody,
  readNotificationEnvelope,
  readPrepayResponse,
  readTransaction,
  TRADE_STATE_MAP,
  tradeStatusOf,
} from './wire.ts';

describe('trade_state map', () => {
  it('maps every documented state', () => {
    expect(TRADE_STATE_MAP).toEqual({
      SUCCESS: 'PAID',
      REFUND: 'PAID',
      NOTPAY: 'NOT_PAID',
      CLOSED: 'CLOSED',
      REVOKED: 'REVERSED',
      USERPAYING: 'PAYING',
      PAYERROR: 'FAILED',
    });
    for (const [state, status] of Object.entries(TRADE_STATE_MAP)) expect(tradeStatusOf(state)).toBe(status);
  });
  it('maps anything else to UNKNOWN, including near misses and prototype names', () => {
    for (const word of [
      '',
      'success',
      'SUCCESS ',
      'PAID',
      'ACCEPT',
      'toString',
      '__proto__',
      'constructor',
    ]) {
      expect(tradeStatusOf(word)).toBe('UNKNOWN');
    }
  });
});

describe('RFC 3339 times', () => {
  it('formats in +08:00, whole seconds, truncated', () => {
    expect(toRfc3339Beijing(Date.UTC(2018, 5, 8, 2, 34, 56, 999))).toBe('2018-06-08T10:34:56+08:00');
    expect(toRfc3339Beijing(Date.UTC(2020, 11, 31, 16, 0, 0))).toBe('2021-01-01T00:00:00+08:00');
  });
  it('parses offsets, Z and fractions', () => {
    expect(parseRfc3339('2018-06-08T10:34:56+08:00')).toBe(Date.UTC(2018, 5, 8, 2, 34, 56));
    expect(parseRfc3339('2018-06-08T02:34:56Z')).toBe(Date.UTC(2018, 5, 8, 2, 34, 56));
    expect(parseRfc3339('2018-06-08T02:34:56.250-01:30')).toBe(Date.UTC(2018, 5, 8, 4, 4, 56, 250));
    const at = Date.UTC(2024, 1, 29, 23, 59, 59);
    expect(parseRfc3339(toRfc3339Beijing(at))).toBe(at);
  });
  it('refuses what is not a date-time with offset', () => {
    for (const text of [
      '2018-06-08 10:34:56+08:00',
      '2018-06-08T10:34:56',
      '2018-02-30T00:00:00+08:00',
      '2018-13-01T00:00:00Z',
      '2018-06-08T24:00:00Z',
      'x',
    ]) {
      expect(parseRfc3339(text)).toBeNull();
    }
  });
});

describe('readers', () => {
  const tx = {
    appid: 'wxd678efh567hg6787',
    mchid: '1230000109',
    out_trade_no: 'pay_1',
    transaction_id: '4200000000202306011234567890',
    trade_type: 'NATIVE',
    trade_state: 'SUCCESS',
    success_time: '2018-06-08T10:34:56+08:00',
    payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' },
    amount: { total: 100, payer_total: 100, currency: 'CNY', payer_currency: 'CNY' },
    promotion_detail: [],
  };
  it('reads a transaction and drops nothing it knows', () => {
    const { promotion_detail: _p, ...known } = tx;
    expect(readTransaction(tx)).toEqual(known);
  });
  it('refuses wrong types', () => {
    expect(readTransaction({ ...tx, amount: { total: 1.5 } })).toBeNull();
    expect(readTransaction({ ...tx, amount: { total: -1 } })).toBeNull();
    expect(readTransaction({ ...tx, amount: { total: '100' } })).toBeNull();
    expect(readTransaction({ ...tx, trade_state: 1 })).toBeNull();
    expect(readTransaction({ ...tx, transaction_id: 42 })).toBeNull();
    expect(readTransaction({ ...tx, payer: 'x' })).toBeNull();
    const { mchid: _m, ...no_mchid } = tx;
    expect(readTransaction(no_mchid)).toBeNull();
    expect(readTransaction([tx])).toBeNull();
    expect(readTransaction(null)).toBeNull();
  });
  it('reads envelopes, error bodies and prepay replies', () => {
    const envelope = {
      id: 'EV-1',
      event_type: 'TRANSACTION.SUCCESS',
      resource: { algorithm: 'AEAD_AES_256_GCM', ciphertext: 'x', nonce: 'n' },
    };
    expect(readNotificationEnvelope(envelope)?.resource.associated_data).toBe('');
    expect(readNotificationEnvelope({ ...envelope, id: '' })).toBeNull();
    expect(
      readNotificationEnvelope({ ...envelope, resource: { ...envelope.resource, nonce: 1 } }),
    ).toBeNull();
    expect(readNotificationEnvelope({ ...envelope, summary: 7 })).toBeNull();
    expect(readErrorBody({ code: 'PARAM_ERROR', message: 'm', detail: { field: 'x' } })).toEqual({
      code: 'PARAM_ERROR',
      message: 'm',
      detail: { field: 'x' },
    });
    expect(readErrorBody({ message: 'm' })).toBeNull();
    expect(readPrepayResponse({ code_url: 'weixin://wxpay/bizpayurl?pr=abc' })).toEqual({
      code_url: 'weixin://wxpay/bizpayurl?pr=abc',
    });
    expect(readPrepayResponse({ code_url: '' })).toBeNull();
  });
});
