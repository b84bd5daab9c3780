import SqliteDatabase from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MaintenanceJob } from '../src/jobs/maintenance.ts';
import type { PaymentView } from '../src/services/payment-view.ts';
import { listChannelNotifications } from '../src/storage/repositories/channel-notifications.ts';
import { listEventsOfPayment } from '../src/storage/repositories/events.ts';
import { type Harness, startHarness } from './support/harness.ts';

/**
 * Every statement the gateway prepares while it serves the usual day (create, pay, notify, read,
 * list, refund, sync, deliver, clean up) is checked against SQLite's query plan: none may read a
 * table that grows with traffic from end to end or every row in one state, none may sort such a
 * table's rows unless they belong to one payment or one event (a handful), and rows named by id
 * must be found by id. A query that breaks any of these costs time in proportion to everything
 * ever stored (or everything waiting), and on SQLite it holds the event loop while it runs.
 */
const GROWING_TABLES = [
  'payments',
  'refunds',
  'events',
  'delivery_attempts',
  'channel_notifications',
  'request_nonces',
  'idempotency_keys',
  'reconcile_items',
];
/** Sorting is fine when the rows are those of one payment or one event. */
const SMALL_SETS = /\((payment_id|event_id)=\?/;

function planProblems(plan: string[]): string[] {
  const problems: string[] = [];
  for (const line of plan) {
    const scanned = /^SCAN (\w+)/.exec(line)?.[1];
    if (scanned && GROWING_TABLES.includes(scanned)) problems.push(`reads all of ${scanned}: ${line}`);
  }
  // Found through an index by nothing but a state ("every pending event"): the rows read grow
  // with a backlog. A state followed by a range or another key column is fine.
  for (const line of plan) {
    const by_state = /^SEARCH (\w+) USING (?:COVERING )?INDEX \w+ \((\w*state)=\?\)$/.exec(line);
    if (by_state && GROWING_TABLES.includes(by_state[1]!))
      problems.push(`reads every ${by_state[1]} row in one ${by_state[2]}: ${line}`);
  }
  if (plan.some((line) => line.includes('TEMP B-TREE'))) {
    const searches = plan.filter((line) => line.startsWith('SEARCH '));
    const table = (line: string) => /^SEARCH (\w+)/.exec(line)?.[1] ?? '';
    const growing = searches.filter((line) => GROWING_TABLES.includes(table(line)));
    if (growing.some((line) => !SMALL_SETS.test(line)))
      problems.push(`sorts rows of a growing table: ${plan.join(' | ')}`);
  }
  return problems;
}

/**
 * A statement that names its rows by primary key must find them by it. Given another usable index
 * (say on a state column) SQLite may prefer that one and then reads every row sharing the indexed
 * value: every pending event, every open payment, on every call.
 */
function keyProblems(text: string, plan: string[]): string[] {
  const table = /^(?:update|delete from|select .* from) "(\w+)"/i.exec(text)?.[1];
  if (!table || !GROWING_TABLES.includes(table)) return [];
  if (!/ where .*"id" (=|in) /i.test(text)) return [];
  const searches = plan.filter((line) => line.startsWith(`SEARCH ${table} `));
  if (searches.length > 0 && searches.every((line) => /\(id=\?\)/.test(line))) return [];
  return [`finds ${table} rows named by id through another index: ${plan.join(' | ')}`];
}

describe('query plans of the statements the gateway runs (SQLite)', () => {
  let h: Harness;
  let seq = 0;

  beforeAll(async () => {
    h = await startHarness('sqlite');
  });
  afterAll(async () => {
    await h.close();
  });

  it('the rule itself catches a sort and a full read', () => {
    expect(
      planProblems([
        'SEARCH payments USING INDEX payments_open_by_expiry (state=?)',
        'USE TEMP B-TREE FOR ORDER BY',
      ]),
    ).toEqual([
      expect.stringMatching(/^reads every payments row in one state/),
      expect.stringMatching(/^sorts/),
    ]);
    expect(planProblems(['SEARCH events USING INDEX events_due (delivery_state=?)'])).toHaveLength(1);
    expect(
      planProblems(['SEARCH events USING INDEX events_due (delivery_state=? AND next_attempt_at<?)']),
    ).toEqual([]);
    expect(planProblems(['SCAN channel_notifications'])).toHaveLength(1);
    expect(
      planProblems([
        'SEARCH events USING INDEX events_payment (payment_id=?)',
        'USE TEMP B-TREE FOR ORDER BY',
      ]),
    ).toEqual([]);
    expect(planProblems(['SEARCH payments USING INDEX payments_next_check (next_check_at<?)'])).toEqual([]);
    const claim = `update "events" set "lease_until" = ? where "id" in (?, ?) and "delivery_state" = ?`;
    expect(keyProblems(claim, ['SEARCH events USING INDEX events_due (delivery_state=?)'])).toHaveLength(1);
    expect(keyProblems(claim, ['SEARCH events USING INDEX sqlite_autoindex_events_1 (id=?)'])).toEqual([]);
  });

  it('no statement reads or sorts a growing table whole', async () => {
    const create = async (amount: number) => {
      const res = await h.client.request<PaymentView>('POST', '/v1/payments', {
        merchant_order_no: `plan-${++seq}`,
        pay_way: 'WX_NATIVE',
        amount,
        subject: 'Tea',
        notify_url: h.receiver.url,
      });
      expect(res.status).toBe(201);
      return res.body;
    };
    const paid = await create(500);
    const waiting = await create(300);
    // Several events wait at once, so the deliverer claims them in one statement.
    const also_paid = [await create(200), await create(100)];
    for (const payment of [paid, ...also_paid]) expect(h.sim.pay(payment.id).ok).toBe(true);
    await h.sim.deliverDueNotifications();
    expect((await h.client.request<PaymentView>('GET', `/v1/payments/${paid.id}`)).body.state).toBe(
      'SUCCESS',
    );
    await h.client.request('GET', `/v1/payments/by-order-no/${waiting.merchant_order_no}`);
    for (const query of [
      '',
      '?state=SUCCESS',
      `?starting_after=${waiting.id}`,
      `?state=PENDING&starting_after=${paid.id}`,
    ]) {
      expect((await h.client.request('GET', `/v1/payments${query}`)).status).toBe(200);
    }
    const refund = await h.client.request('POST', `/v1/payments/${paid.id}/refunds`, {
      merchant_refund_no: `plan-rf-${seq}`,
      amount: 100,
    });
    expect(refund.status).toBe(201);
    await h.gateway.sync.runOnce();
    await h.gateway.deliverer.drain();
    await new MaintenanceJob(h.gateway.gw).runOnce();
    await listChannelNotifications(h.gateway.gw.store.db, paid.id);
    await listEventsOfPayment(h.gateway.gw.store.db, paid.id);

    const statements = h.gateway.gw.store.prepared_sql?.() ?? [];
    const queries = statements.filter((s) => /^(select|update|delete|insert)/i.test(s));
    // The workload above reaches the hot paths; fewer statements than this means it did not run.
    expect(queries.length).toBeGreaterThan(30);
    const reader = new SqliteDatabase(h.db.url, { readonly: true });
    try {
      const problems: string[] = [];
      for (const text of queries) {
        const parameters = Array((text.match(/\?/g) ?? []).length).fill(1);
        const plan = (
          reader.prepare(`explain query plan ${text}`).all(...parameters) as Array<{ detail: string }>
        ).map((row) => row.detail);
        problems.push(
          ...[...planProblems(plan), ...keyProblems(text, plan)].map((p) => `${p}\n  in: ${text}`),
        );
      }
      expect(problems).toEqual([]);
    } finally {
      reader.close();
    }
  });
});
