import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { billRowsOf, linesOf } from '../channels/wechat/bill.ts';
import { openStore, type Store } from '../storage/database.ts';
import { migrateToLatest } from '../storage/migrate.ts';
import { dayRangeOf } from './beijing-day.ts';
import { benchAmountFen, writeBenchBill } from './bench-bill-file.ts';
import { matchStream } from './match-stream.ts';
import { BillMatcher } from './matcher.ts';
import { DatabaseOurSide } from './our-side.ts';

/**
 * Reconciliation of an N-row WeChat bill against a SQLite store holding the same N payments,
 * timed against merely reading the file and splitting it into lines (the floor any reader pays).
 * The store is filled by one INSERT … SELECT over a recursive series, so N = 1 000 000 fills in
 * seconds; the match reads it through the same pages and look-ups as a real run.
 */
export interface ReconcileBench {
  rows: number;
  reconcile_ms: number;
  read_split_ms: number;
  ratio: number;
  peak_rss_mb: number;
}

const BILL_DATE = '2026-05-20';
const ACCOUNT_ID = 'ca_bench';
const RSS_SAMPLE_MS = 25;

async function seed(store: Store, rows: number, day_start_ms: number): Promise<void> {
  const db = store.db;
  await db
    .insertInto('merchants')
    .values({ id: 'mch_bench', name: 'Bench', status: 'active', created_at: 0 })
    .execute();
  await db
    .insertInto('apps')
    .values({
      id: 'app_bench',
      merchant_id: 'mch_bench',
      name: 'Bench',
      status: 'active',
      secret_sealed: 'x',
      previous_secret_sealed: null,
      created_at: 0,
    })
    .execute();
  await db
    .insertInto('channel_accounts')
    .values({
      id: ACCOUNT_ID,
      merchant_id: 'mch_bench',
      channel: 'wechat',
      mode: 'direct',
      name: 'Bench',
      status: 'enabled',
      settings_json: '{}',
      secrets_sealed: 'x',
      created_at: 0,
      updated_at: 0,
    })
    .execute();
  // Same ids, amounts and times as bench-bill-file.ts writes.
  await sql`
    WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ${rows})
    INSERT INTO payments (id, merchant_id, app_id, channel_account_id, channel, pay_way, merchant_order_no,
      amount_fen, currency, subject, state, version, request_hash, expires_at, paid_at, created_at, updated_at,
      check_attempts, refund_reserved_fen)
    SELECT 'pay_b' || printf('%09d', i), 'mch_bench', 'app_bench', ${ACCOUNT_ID}, 'wechat', 'WX_NATIVE', 'o' || i,
      1 + (i % 100000), 'CNY', 'Tea', 'SUCCESS', 1, '', 0, ${day_start_ms} + ((i * 86413) % 86400000), 0, 0, 0, 0
    FROM n`.execute(db);
}

async function timed<T>(run: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await run();
  return { ms: performance.now() - started, value };
}

export async function benchReconcile(rows: number): Promise<ReconcileBench> {
  if (!Number.isInteger(rows) || rows < 1 || rows > 10_000_000)
    throw new Error('rows must be 1 … 10 000 000');
  const dir = await mkdtemp(join(tmpdir(), 'paymux-bench-reconcile-'));
  const store = openStore({ url: join(dir, 'bench.sqlite') });
  try {
    const day = dayRangeOf(BILL_DATE);
    const bill = join(dir, 'bill.csv');
    await writeBenchBill(bill, rows, day.start_ms);
    await migrateToLatest(store.db);
    await seed(store, rows, day.start_ms);
    if (benchAmountFen(0) !== 1) throw new Error('bench data out of step');

    const read_split = await timed(async () => {
      let lines = 0;
      for await (const _line of linesOf(createReadStream(bill))) lines++;
      return lines;
    });

    let peak_rss = process.memoryUsage.rss();
    const sampler = setInterval(() => {
      peak_rss = Math.max(peak_rss, process.memoryUsage.rss());
    }, RSS_SAMPLE_MS);
    const matcher = new BillMatcher('wechat', ACCOUNT_ID, day);
    let items = 0;
    const reconcile = await timed(() =>
      matchStream(billRowsOf(linesOf(createReadStream(bill))), new DatabaseOurSide(store.db), matcher, {
        emit: async () => {
          items++;
        },
        repairs_max: 0,
      }),
    );
    clearInterval(sampler);
    peak_rss = Math.max(peak_rss, process.memoryUsage.rss());
    if (items !== 0 || matcher.counts.matched !== rows || read_split.value !== rows + 3)
      throw new Error(`bench reconciliation is wrong: ${items} items, ${matcher.counts.matched} matched`);
    return {
      rows,
      reconcile_ms: Math.round(reconcile.ms),
      read_split_ms: Math.round(read_split.ms),
      ratio: Math.round((reconcile.ms / read_split.ms) * 10) / 10,
      peak_rss_mb: Math.round(peak_rss / 1024 / 1024),
    };
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}
