import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../domain/clock.ts';
import { newId } from '../../domain/ids.ts';
import { SeededRandom } from '../../domain/random.ts';
import { cancelOrderIdOf, orderIdOf, ourIdOf, txnTimeOf } from './order-id.ts';
import { compactDate, parseAcpTime, toAcpTime } from './time.ts';
import { RESP_CODE_STATUS, readFen, refundStatusOfCode, tradeStatusOfCode } from './wire.ts';

describe('respCode → status', () => {
  it('maps success, in-progress, failure, not found, and anything else to UNKNOWN', () => {
    expect(tradeStatusOfCode('00')).toBe('PAID');
    for (const code of ['03', '04', '05']) expect(tradeStatusOfCode(code)).toBe('PAYING');
    for (const code of ['01', '30', '64', '77']) expect(tradeStatusOfCode(code)).toBe('FAILED');
    expect(tradeStatusOfCode('34')).toBe('NOT_FOUND');
    for (const code of ['11', '12', '99', 'A6', '', 'toString', undefined])
      expect(tradeStatusOfCode(code)).toBe('UNKNOWN');
    expect(refundStatusOfCode('00')).toBe('SUCCESS');
    expect(refundStatusOfCode('05')).toBe('PROCESSING');
    expect(refundStatusOfCode('01')).toBe('ABNORMAL');
    expect(Object.keys(RESP_CODE_STATUS).every((code) => /^\d{2}$/.test(code))).toBe(true);
  });

  it('reads fen strictly', () => {
    expect(readFen('888')).toBe(888);
    expect(readFen('0')).toBe(0);
    for (const bad of ['08', '-1', '1.5', '', ' 1', '1e3', undefined]) expect(readFen(bad)).toBeNull();
  });
});

describe('our ids on the wire', () => {
  it('drops and restores the underscore, and derives txnTime from the ULID', () => {
    const clock = new ManualClock(Date.UTC(2025, 4, 20, 2, 0, 0, 123));
    const id = newId('payment', clock, new SeededRandom(1));
    const order_id = orderIdOf(id)!;
    expect(order_id).toMatch(/^pay[0-9A-Z]{26}$/);
    expect(ourIdOf(order_id)).toBe(id);
    expect(txnTimeOf(id)).toBe('20250520100000');
    expect(cancelOrderIdOf(order_id)).toBe(`${order_id}CX`);
    expect(ourIdOf(cancelOrderIdOf(order_id))).toBeNull();
    for (const bad of ['pay_short', 'PAY_01JVTESTPAYMENT0000000000AB', 'pay-01JVTESTPAYMENT0000000000AB']) {
      expect(orderIdOf(bad)).toBeNull();
      expect(txnTimeOf(bad)).toBeNull();
    }
  });

  it('writes and reads Beijing times', () => {
    const at_ms = Date.UTC(2025, 4, 20, 16, 30, 5);
    expect(toAcpTime(at_ms)).toBe('20250521003005');
    expect(parseAcpTime('20250521003005')).toBe(at_ms);
    expect(parseAcpTime('20250231003005')).toBeNull();
    expect(compactDate('2025-05-20')).toBe('20250520');
    expect(compactDate('2025-02-30')).toBeNull();
  });
});
