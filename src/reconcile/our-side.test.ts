import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../storage/database.ts';
import { migrateToLatest } from '../storage/migrate.ts';
import { DAY_PAGE_ROWS, DatabaseOurSide } from './our-side.ts';

/**
 * A day is read in pages by (time, id). Many payments share a millisecond at a busy till, so ties
 * fall across page boundaries: every SUCCESS record of the account and day comes exactly once,
 * nothing of another account or day, whatever the page size.
 */
describe('our side of a reconciliation, paged', () => {
  const dir = mkdtempSync(join(tmpdir(), 'paymux-our-side-'));
  let store: Store;
  const day = {
    bill_date: '2026-11-26',
    start_ms: Date.parse('2026-11-25T16:00:00Z'),
    end_ms: Date.parse('2026-11-26T16:00:00Z'),
  };
  const ROWS = DAY_PAGE_ROWS * 2 + 777;

  beforeAll(async () => {
    store = openStore({ url: join(dir, 'db.sqlite') });
    await migrateToLatest(store.db);
    await sql`INSERT INTO merchants (id, name, status, created_at) VALUES ('m', 'M', 'active', 0)`.execute(
      store.db,
    );
    await sql`INSERT INTO apps (id, merchant_id, name, status, secret_sealed, created_at) VALUES ('a', 'm', 'A', 'active', 'x', 0)`.execute(
      store.db,
    );
    for (const acct of ['ca_1', 'ca_2'])
      await sql`INSERT INTO channel_accounts (id, merchant_id, channel, mode, name, status, settings_json, secrets_sealed, created_at, updated_at)
        VALUES (${acct}, 'm', 'wechat', 'direct', 'x', 'enabled', '{}', 'x', 0, 0)`.execute(store.db);
    // Times in runs of 50 equal milliseconds; every 10th row not SUCCESS; a few on ca_2 and the day after.
    await sql`
      WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ${ROWS + 200})
      INSERT INTO payments (id, merchant_id, app_id, channel_account_id, channel, pay_way, merchant_order_no,
        amount_fen, currency, subject, state, version, request_hash, expires_at, paid_at, created_at, updated_at,
        check_attempts, refund_reserved_fen)
      SELECT 'pay_' || printf('%06d', (i * 7919) % ${ROWS + 200}), 'm', 'a',
        CASE WHEN i >= ${ROWS} AND i < ${ROWS + 100} THEN 'ca_2' ELSE 'ca_1' END,
        'wechat', 'WX_NATIVE', 'o' || i, 1 + i, 'CNY', 'T',
        CASE WHEN i % 10 = 9 THEN 'CLOSED' ELSE 'SUCCESS' END, 1, '', 0,
        CASE WHEN i >= ${ROWS + 100} THEN ${day.end_ms} + i ELSE ${day.start_ms} + (i / 50) * 1000 END, 0, 0, 0, 0
      FROM n`.execute(store.db);
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('yields each SUCCESS payment of the account and day exactly once across ties at page edges', async () => {
    const seen = new Map<string, number>();
    for await (const page of new DatabaseOurSide(store.db).dayPages('ca_1', day)) {
      for (const r of page) {
        expect(r.state).toBe('SUCCESS');
        expect(r.channel_account_id).toBe('ca_1');
        expect(r.at_ms! >= day.start_ms && r.at_ms! < day.end_ms).toBe(true);
        seen.set(r.id, (seen.get(r.id) ?? 0) + 1);
      }
    }
    const expected = Array.from({ length: ROWS }, (_, i) => i).filter((i) => i % 10 !== 9).length;
    expect(seen.size).toBe(expected);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
  });
});
