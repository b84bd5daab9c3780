import Database from 'better-sqlite3';
import { ulid } from '../src/domain/ids.ts';
import { SeededRandom } from '../src/domain/random.ts';

/**
 * The growth scenario's history: `count` payments written straight into a gateway's SQLite file
 * while no gateway has it open, as if the gateway had taken them over `days` days.
 *
 * - created_at spread evenly over the period, ids ULIDs of that time (so they sort as real ones);
 * - merchants skewed (a few large ones, a long tail: merchant ⌊n·u²⌋);
 * - states as a settled history looks: SUCCESS 65 % (all payment-code ones), CLOSED 28 %, FAILED 5 %,
 *   REVERSED 2 %. The history ends two days ago: yesterday is what the daily reconciliation job
 *   reconciles when the gateway starts, and that one-off run (a bill per account) must not land
 *   in the measured window; nothing is left open for the sync and expiry jobs to chase either;
 * - every index the migrations made, rebuilt after the load (faster than keeping them updated
 *   row by row; the resulting b-trees are the same).
 *
 * One transaction, journal off and synchronous=OFF for the load only; WAL again at the end.
 */
export interface BulkMerchant {
  merchant_id: string;
  app_id: string;
  channel_account_id: string;
}

export interface BulkResult {
  rows: number;
  insert_ms: number;
  index_ms: number;
  total_ms: number;
  file_mb: number;
  states: Record<string, number>;
}

const DAY_MS = 86_400_000;

export function bulkInsertPayments(
  file: string,
  merchants: BulkMerchant[],
  count: number,
  now_ms: number,
  days = 90,
): BulkResult {
  const started = performance.now();
  const db = new Database(file);
  try {
    db.pragma('journal_mode = DELETE');
    db.pragma('synchronous = OFF');
    db.pragma('cache_size = -262144');
    db.pragma('temp_store = MEMORY');
    const columns = db.prepare('PRAGMA table_info(payments)').all() as Array<{
      name: string;
      notnull: number;
      dflt_value: unknown;
    }>;
    const indexes = db
      .prepare(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'payments' AND sql IS NOT NULL",
      )
      .all() as Array<{ name: string; sql: string }>;

    const random = new SeededRandom(8);
    const rng = (() => {
      const r = new SeededRandom(9);
      return () => r.bytes(4).readUInt32LE(0) / 2 ** 32;
    })();
    const last_ms = now_ms - 2 * DAY_MS - 60_000;
    const first_ms = last_ms - days * DAY_MS;
    const row = (i: number): Record<string, unknown> => {
      const created_at = Math.floor(first_ms + ((last_ms - first_ms) * i) / count);
      const m = merchants[Math.floor(merchants.length * rng() ** 2)]!;
      const bar = rng() < 0.3;
      const u = rng();
      const state = bar || u < 0.65 ? 'SUCCESS' : u < 0.93 ? 'CLOSED' : u < 0.98 ? 'FAILED' : 'REVERSED';
      const amount_fen = 1 + Math.floor(rng() ** 3 * 500_000);
      const id = `pay_${ulid(created_at, random)}`;
      return {
        id,
        merchant_id: m.merchant_id,
        app_id: m.app_id,
        channel_account_id: m.channel_account_id,
        channel: 'wechat',
        pay_way: bar ? 'WX_BAR' : 'WX_NATIVE',
        merchant_order_no: `hist-${i}`,
        amount_fen,
        currency: 'CNY',
        subject: 'History',
        state,
        version: 2,
        notify_url: 'https://merchant.example.com/paymux/events',
        client_ip: null,
        request_hash: 'bulk',
        code_url: bar ? null : 'weixin://wxpay/bizpayurl?pr=hist',
        channel_trade_no: state === 'SUCCESS' ? `42000${String(i).padStart(23, '0')}` : null,
        channel_status: state,
        failure_code: state === 'FAILED' ? 'PAYER_FAILED' : null,
        failure_message: state === 'FAILED' ? 'payment failed at the channel' : null,
        metadata_json: null,
        expires_at: created_at + 7_200_000,
        paid_at: state === 'SUCCESS' ? created_at + 20_000 : null,
        ended_at: created_at + 30_000,
        created_at,
        updated_at: created_at + 30_000,
        next_check_at: null,
        check_attempts: 0,
        refund_reserved_fen: 0,
        credential_json: null,
        payer_json: null,
      };
    };
    const sample = row(0);
    const used = columns.filter((c) => c.name in sample).map((c) => c.name);
    const missing = columns.filter((c) => !(c.name in sample) && c.notnull && c.dflt_value === null);
    if (missing.length > 0)
      throw new Error(
        `bulk payments: no value for NOT NULL column(s) ${missing.map((c) => c.name).join(', ')}`,
      );

    for (const index of indexes) db.exec(`DROP INDEX ${index.name}`);
    const insert = db.prepare(
      `INSERT INTO payments (${used.join(', ')}) VALUES (${used.map(() => '?').join(', ')})`,
    );
    const states: Record<string, number> = {};
    db.transaction(() => {
      for (let i = 0; i < count; i++) {
        const r = row(i);
        states[r.state as string] = (states[r.state as string] ?? 0) + 1;
        insert.run(used.map((name) => r[name]));
      }
    })();
    const inserted = performance.now();
    for (const index of indexes) db.exec(index.sql);
    const indexed = performance.now();
    db.pragma('journal_mode = WAL');
    const pages = db.pragma('page_count', { simple: true }) as number;
    const page_size = db.pragma('page_size', { simple: true }) as number;
    return {
      rows: count,
      insert_ms: inserted - started,
      index_ms: indexed - inserted,
      total_ms: performance.now() - started,
      file_mb: (pages * page_size) / 1e6,
      states,
    };
  } finally {
    db.close();
  }
}
