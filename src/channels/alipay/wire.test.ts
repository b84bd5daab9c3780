import { describe, expect, it } from 'vitest';
import { parseBeijingDateTime, toBeijingDateTime } from './time.ts';
import {
  amountOfFen,
  fenOfAmount,
  readGatewayResult,
  refundStatusOf,
  TRADE_STATUS_MAP,
  tradeStatusOf,
  verdictOf,
} from './wire.ts';

describe('amounts: yuan with two decimals at the edge, exact', () => {
  it.each([
    [1, '0.01'],
    [10, '0.10'],
    [29, '0.29'], // 0.29 * 100 = 28.999999999999996 in floats
    [57, '0.57'], // 0.57 * 100 = 56.99999999999999
    [1_005, '10.05'], // 10.05 * 100 = 1004.9999999999999
    [1_999_999, '19999.99'],
    [123_456_789_012, null],
    [10_000_000_000, '100000000.00'],
  ])('%i fen ↔ %s', (fen, yuan) => {
    if (yuan === null) {
      expect(() => amountOfFen(fen)).toThrow(RangeError);
      return;
    }
    expect(amountOfFen(fen)).toBe(yuan);
    expect(fenOfAmount(yuan)).toBe(fen);
  });

  it('refuses amounts outside 0.01 to 100000000.00 when sending', () => {
    for (const fen of [0, -1, 10_000_000_001, 1.5, Number.NaN])
      expect(() => amountOfFen(fen)).toThrow(RangeError);
  });

  it('reads what Alipay sends, and nothing looser', () => {
    expect(fenOfAmount('0.00')).toBe(0);
    expect(fenOfAmount('88.8')).toBe(8880);
    expect(fenOfAmount('100')).toBe(10000);
    expect(fenOfAmount('100000000.00')).toBe(10_000_000_000);
    for (const bad of ['100000000.01', '1.001', '-1.00', '1e2', ' 1.00', '01.00', '', '.5', '1.', 'NaN'])
      expect(fenOfAmount(bad)).toBeNull();
  });
});

describe('trade_status → ChannelTradeStatus, one exhaustive map', () => {
  it('maps every documented status once and anything else to UNKNOWN', () => {
    expect(TRADE_STATUS_MAP).toEqual({
      WAIT_BUYER_PAY: 'NOT_PAID',
      TRADE_CLOSED: 'CLOSED',
      TRADE_SUCCESS: 'PAID',
      TRADE_FINISHED: 'PAID',
    });
    for (const [word, status] of Object.entries(TRADE_STATUS_MAP)) expect(tradeStatusOf(word)).toBe(status);
    for (const other of ['', 'trade_success', 'TRADE_PENDING', 'constructor', '__proto__'])
      expect(tradeStatusOf(other)).toBe('UNKNOWN');
  });

  it('maps refund_status: REFUND_SUCCESS, absent = not found, else unknown', () => {
    expect(refundStatusOf('REFUND_SUCCESS')).toBe('SUCCESS');
    expect(refundStatusOf(undefined)).toBe('NOT_FOUND');
    expect(refundStatusOf('REFUND_FAIL')).toBe('UNKNOWN');
  });
});

describe('gateway codes → verdicts', () => {
  const result = (code: string, sub_code?: string) =>
    readGatewayResult({ code, msg: 'm', ...(sub_code ? { sub_code } : {}) })!;
  it.each([
    ['10000', undefined, 'success'],
    ['10003', undefined, 'paying'],
    ['20000', 'isp.unknow-error', 'unknown'],
    ['40004', 'ACQ.SYSTEM_ERROR', 'unknown'],
    ['40004', 'ACQ.TRADE_NOT_EXIST', 'refused'],
    ['40004', 'ACQ.PAYMENT_AUTH_CODE_INVALID', 'refused'],
    ['40002', 'isv.invalid-signature', 'refused'],
    ['40001', 'isv.missing-method', 'refused'],
    ['20001', 'aop.invalid-app-auth-token', 'refused'],
    ['99999', undefined, 'unknown'],
  ])('%s %s → %s', (code, sub_code, verdict) => {
    expect(verdictOf(result(code, sub_code))).toBe(verdict);
  });

  it('reads only objects with a code', () => {
    expect(readGatewayResult({ msg: 'x' })).toBeNull();
    expect(readGatewayResult('10000')).toBeNull();
    expect(readGatewayResult({ code: 10000 })).toBeNull();
  });
});

describe('Beijing times', () => {
  it('writes and reads yyyy-MM-dd HH:mm:ss at UTC+8', () => {
    const at_ms = Date.UTC(2025, 4, 20, 16, 30, 5, 999);
    expect(toBeijingDateTime(at_ms)).toBe('2025-05-21 00:30:05');
    expect(parseBeijingDateTime('2025-05-21 00:30:05')).toBe(at_ms - 999);
    for (const bad of ['2025-02-30 00:00:00', '2025-05-21T00:30:05', '2025-05-21 24:00:00', ''])
      expect(parseBeijingDateTime(bad)).toBeNull();
  });
});
