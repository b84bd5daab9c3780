import { describe, expect, it } from 'vitest';
import type { BillRow } from '../channels/types.ts';
import { dayRangeOf } from './beijing-day.ts';
import { matchStream } from './match-stream.ts';
import { BillMatcher } from './matcher.ts';
import { MemoryOurSide } from './memory-our-side.ts';
import type { DiscrepancyItem, OurRecord } from './types.ts';

const DAY = dayRangeOf('2026-05-20');
const NOON = Date.parse('2026-05-20T12:00:00+08:00');
const ACCOUNT = 'ca_a';

const pay = (id: string, amount_fen: number, over: Partial<OurRecord> = {}): OurRecord => ({
  kind: 'payment',
  id,
  payment_id: id,
  channel_account_id: ACCOUNT,
  state: 'SUCCESS',
  amount_fen,
  at_ms: NOON,
  ...over,
});
const refund = (
  id: string,
  payment_id: string,
  amount_fen: number,
  over: Partial<OurRecord> = {},
): OurRecord => ({
  ...pay(id, amount_fen, over),
  kind: 'refund',
  payment_id,
});
const payRow = (id: string, amount_fen: number, channel_status = 'SUCCESS'): BillRow => ({
  kind: 'payment',
  out_trade_no: id,
  channel_trade_no: `t_${id}`,
  amount_fen,
  fee_fen: 1,
  channel_status,
  at_ms: NOON,
});
const refundRow = (id: string, payment_id: string, amount_fen: number): BillRow => ({
  kind: 'refund',
  out_trade_no: payment_id,
  channel_trade_no: `t_${payment_id}`,
  out_refund_no: id,
  amount_fen,
  fee_fen: -1,
  channel_status: 'SUCCESS',
  at_ms: NOON,
});

async function* stream(rows: BillRow[]): AsyncGenerator<BillRow> {
  yield* rows;
}

async function run(ours: OurRecord[], rows: BillRow[], channel = 'wechat') {
  const matcher = new BillMatcher(channel, ACCOUNT, DAY);
  const items: DiscrepancyItem[] = [];
  const held = await matchStream(stream(rows), new MemoryOurSide(ours, 2), matcher, {
    emit: async (item) => {
      items.push(item);
    },
    repairs_max: 10,
  });
  return { matcher, items, held, classes: [...items, ...held].map((i) => `${i.class}:${i.our_id}`).sort() };
}

describe('BillMatcher', () => {
  it('matches a clean day, payments and refunds, and totals both sides', async () => {
    const ours = [
      pay('p1', 100),
      pay('p2', 250),
      refund('r1', 'p0', 40),
      pay('p3', 70, { at_ms: DAY.end_ms }),
    ];
    const { items, held, matcher } = await run(ours, [
      payRow('p1', 100),
      payRow('p2', 250),
      refundRow('r1', 'p0', 40),
    ]);
    expect(items).toEqual([]);
    expect(held).toEqual([]);
    expect(matcher.counts).toEqual({ bill_rows: 3, matched: 3, matched_other_day: 0 });
    expect(matcher.ours).toEqual({ payments_count: 2, payments_fen: 350, refunds_count: 1, refunds_fen: 40 });
    expect(matcher.bill).toMatchObject({ payments_fen: 350, refunds_fen: 40, fees_fen: 1 });
  });

  it('classifies every kind of difference, once each', async () => {
    const ours = [
      pay('amount', 100),
      pay('gone', 100),
      pay('revoked', 100),
      pay('lost', 100, { state: 'PENDING', at_ms: null }),
      pay('elsewhere', 100, { channel_account_id: 'ca_b' }),
      pay('twice', 100),
    ];
    const rows = [
      payRow('amount', 101),
      payRow('revoked', 100, 'REVOKED'),
      payRow('lost', 100),
      payRow('ghost', 100),
      payRow('elsewhere', 100),
      payRow('twice', 100),
      payRow('twice', 100),
    ];
    const { classes, held } = await run(ours, rows);
    expect(classes).toEqual([
      'amount_mismatch:amount',
      'duplicate_row:twice',
      'missing_at_channel:gone',
      'missing_here:elsewhere',
      'missing_here:ghost',
      'status_mismatch:lost',
      'status_mismatch:revoked',
    ]);
    // Only the lost order (the bill says paid, we do not) waits for a repair by query.
    expect(held.map((i) => i.our_id)).toEqual(['lost']);
  });

  it('matches a row of a payment paid on another day, and agrees on unpaid rows', async () => {
    const ours = [
      pay('yesterday', 100, { at_ms: DAY.start_ms - 1 }),
      pay('closed', 100, { state: 'CLOSED', at_ms: null }),
    ];
    const { items, matcher } = await run(ours, [payRow('yesterday', 100), payRow('closed', 100, 'REVOKED')]);
    expect(items).toEqual([]);
    expect(matcher.counts.matched_other_day).toBe(1);
  });

  it("reads each channel's status words", async () => {
    const up = await run(
      [pay('a', 5), pay('b', 5)],
      [payRow('a', 5, 'CONSUME:00'), payRow('b', 5, 'CONSUME:01')],
      'unionpay',
    );
    expect(up.classes).toEqual(['status_mismatch:b']);
    const ali = await run([pay('a', 5)], [payRow('a', 5, '交易')], 'alipay');
    expect(ali.classes).toEqual([]);
  });

  it('does not report a record as missing when a repair made it SUCCESS during the run', async () => {
    const ours = [pay('lost', 100, { state: 'PENDING', at_ms: null })];
    const matcher = new BillMatcher('wechat', ACCOUNT, DAY);
    const memory = new MemoryOurSide(ours);
    const side = {
      dayPages: memory.dayPages.bind(memory),
      async find(kind: 'payment' | 'refund', ids: readonly string[]) {
        const found = await memory.find(kind, ids);
        // The repair lands right after the look-up: the record is now SUCCESS within the day.
        ours[0] = pay('lost', 100);
        return found;
      },
    };
    const items: DiscrepancyItem[] = [];
    const held = await matchStream(stream([payRow('lost', 100)]), side, matcher, {
      emit: async (i) => void items.push(i),
      repairs_max: 10,
    });
    expect(held.map((i) => i.class)).toEqual(['status_mismatch']);
    expect(items).toEqual([]);
  });
});
