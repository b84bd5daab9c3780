import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  type DbKind,
  postgresAvailable,
  type TestDatabase,
} from '../../test/support/databases.ts';
import { openStore, type Store } from './database.ts';
import { migrateToLatest } from './migrate.ts';
import { insertEventOnce } from './repositories/events.ts';
import { insertNonceIfNew } from './repositories/nonces.ts';
import {
  findPaymentById,
  insertPaymentIfNew,
  type PaymentRecord,
  updatePaymentIfVersion,
} from './repositories/payments.ts';
import { insertApp, insertChannelAccount, insertMerchant } from './repositories/tenants.ts';
import { SecretBox } from './secret-box.ts';
import type { Tx } from './transact.ts';

const pg_ok = await postgresAvailable();

describe.each<DbKind>(['sqlite', 'postgres'])('storage on %s', (kind) => {
  let db: TestDatabase;
  let store: Store;
  const skip = kind === 'postgres' && !pg_ok;

  beforeAll(async () => {
    if (skip) return;
    db = await createTestDatabase(kind);
    store = openStore({ url: db.url });
    await migrateToLatest(store.db);
    await insertMerchant(store.db, { id: 'mch_1', name: 'm', status: 'active', created_at: 1 });
    await insertApp(store.db, {
      id: 'app_1',
      merchant_id: 'mch_1',
      name: 'a',
      status: 'active',
      secret_sealed: 'x',
      previous_secret_sealed: null,
      created_at: 1,
    });
    await insertChannelAccount(store.db, {
      id: 'ca_1',
      merchant_id: 'mch_1',
      channel: 'wechat',
      mode: 'direct',
      name: 'w',
      status: 'enabled',
      settings_json: '{}',
      secrets_sealed: 'x',
      created_at: 1,
      updated_at: 1,
    });
  });
  afterAll(async () => {
    if (skip) return;
    await store.close();
    await db.drop();
  });

  const payment = (id: string, order_no: string): PaymentRecord => ({
    id,
    merchant_id: 'mch_1',
    app_id: 'app_1',
    channel_account_id: 'ca_1',
    channel: 'wechat',
    pay_way: 'WX_NATIVE',
    merchant_order_no: order_no,
    amount_fen: 10_000_000_000,
    currency: 'CNY',
    subject: 's',
    state: 'CREATED',
    version: 0,
    notify_url: null,
    client_ip: null,
    request_hash: 'h',
    code_url: null,
    channel_trade_no: null,
    channel_status: null,
    failure_code: null,
    failure_message: null,
    metadata_json: null,
    expires_at: 2_000_000_000_000,
    paid_at: null,
    ended_at: null,
    created_at: 1_700_000_000_000,
    updated_at: 1_700_000_000_000,
    next_check_at: null,
    check_attempts: 0,
    refund_reserved_fen: 0,
    credential_json: null,
    payer_json: null,
  });

  it.skipIf(skip)('migrations are idempotent', async () => {
    expect(await migrateToLatest(store.db)).toEqual([]);
  });

  it.skipIf(skip)('keeps one payment per merchant order number and bigint amounts exact', async () => {
    expect(await store.transact((tx) => insertPaymentIfNew(tx, payment('pay_A', 'o-1')))).toBe(true);
    expect(await store.transact((tx) => insertPaymentIfNew(tx, payment('pay_B', 'o-1')))).toBe(false);
    expect(await findPaymentById(store.db, 'pay_B')).toBeUndefined();
    const stored = await findPaymentById(store.db, 'pay_A');
    expect(stored?.amount_fen).toBe(10_000_000_000);
    expect(typeof stored?.created_at).toBe('number');
  });

  it.skipIf(skip)('updates only from the expected version', async () => {
    await store.transact((tx) => insertPaymentIfNew(tx, payment('pay_V', 'o-v')));
    expect(
      await store.transact((tx) => updatePaymentIfVersion(tx, 'pay_V', 0, { state: 'PENDING' }, 5)),
    ).toBe(true);
    expect(await store.transact((tx) => updatePaymentIfVersion(tx, 'pay_V', 0, { state: 'CLOSED' }, 6))).toBe(
      false,
    );
    expect((await findPaymentById(store.db, 'pay_V'))?.state).toBe('PENDING');
  });

  it.skipIf(skip)('writes one event per dedupe key', async () => {
    const event = {
      id: 'evt_1',
      merchant_id: 'mch_1',
      app_id: 'app_1',
      payment_id: 'pay_A',
      type: 'payment.succeeded',
      dedupe_key: 'payment.succeeded:pay_A',
      payload_json: '{}',
      notify_url: null,
      delivery_state: 'none' as const,
      attempts: 0,
      next_attempt_at: null,
      lease_until: null,
      lease_owner: null,
      delivered_at: null,
      last_error: null,
      created_at: 1,
    };
    expect(await store.transact((tx) => insertEventOnce(tx, event))).toBe(true);
    expect(await store.transact((tx) => insertEventOnce(tx, { ...event, id: 'evt_2' }))).toBe(false);
  });

  it.skipIf(skip)('refuses a reused nonce', async () => {
    expect(await store.transact((tx) => insertNonceIfNew(tx, 'app_1', 'nonce-1', 10))).toBe(true);
    expect(await store.transact((tx) => insertNonceIfNew(tx, 'app_1', 'nonce-1', 10))).toBe(false);
    expect(await store.transact((tx) => insertNonceIfNew(tx, 'app_2', 'nonce-1', 10))).toBe(true);
  });

  /** The durability setting the transaction runs under, as the database itself reports it. */
  async function syncSetting(tx: Tx): Promise<string> {
    if (kind === 'sqlite') {
      const { rows } = await sql<{ synchronous: number }>`pragma synchronous`.execute(tx);
      return ['OFF', 'NORMAL', 'FULL', 'EXTRA'][rows[0]!.synchronous]!;
    }
    const { rows } = await sql<{ synchronous_commit: string }>`show synchronous_commit`.execute(tx);
    return rows[0]!.synchronous_commit;
  }
  const flushed = kind === 'sqlite' ? 'FULL' : 'on';
  const unflushed = kind === 'sqlite' ? 'NORMAL' : 'off';

  it.skipIf(skip)(
    'commits without waiting for the disk only when every caller in the commit allows it',
    async () => {
      const before = { ...store.commit_stats };
      const alone = await store.transact(
        async (tx) => {
          await insertNonceIfNew(tx, 'app_1', 'nonce-unflushed', 10);
          return syncSetting(tx);
        },
        { flush: false },
      );
      expect(alone).toBe(unflushed);
      expect(store.commit_stats.unflushed_commits - before.unflushed_commits).toBe(1);
      // Everything after it is flushed again: the default, and any statement outside a transaction.
      expect(await store.transact((tx) => syncSetting(tx))).toBe(flushed);
      if (kind === 'sqlite') {
        const { rows } = await sql<{ synchronous: number }>`pragma synchronous`.execute(store.db);
        expect(rows[0]!.synchronous).toBe(2);
      }
      // A caller that needs the flush, sharing the commit with one that does not, gets it.
      const [a, b] = await Promise.all([
        store.transact((tx) => syncSetting(tx), { flush: false }),
        store.transact((tx) => syncSetting(tx)),
      ]);
      expect(b).toBe(flushed);
      // SQLite groups the two into one commit, which must flush; PostgreSQL commits each alone.
      expect(a).toBe(kind === 'sqlite' ? flushed : unflushed);
      // A failing unflushed transaction rolls back and leaves the setting as it was.
      await expect(
        store.transact(
          async (tx) => {
            await insertNonceIfNew(tx, 'app_1', 'nonce-rolled-back', 10);
            throw new Error('refused');
          },
          { flush: false },
        ),
      ).rejects.toThrow('refused');
      expect(await store.transact((tx) => syncSetting(tx))).toBe(flushed);
      expect(await store.transact((tx) => insertNonceIfNew(tx, 'app_1', 'nonce-rolled-back', 10))).toBe(true);
      expect(await store.transact((tx) => insertNonceIfNew(tx, 'app_1', 'nonce-unflushed', 10))).toBe(false);
    },
  );

  it.skipIf(skip)('flushLog makes commits made without a flush durable', async () => {
    await store.transact((tx) => insertNonceIfNew(tx, 'app_1', 'nonce-to-flush', 10), { flush: false });
    if (kind === 'postgres') {
      // Log records that are no commit may follow it (any session writes them); the WAL writer
      // flushes those only on its next round.
      await sql`select pg_logical_emit_message(false, 'paymux-test', 'not a commit')`.execute(store.db);
      // The log position the unflushed commit reached must be on disk once flushLog returns.
      const { rows } = await sql<{ lsn: string }>`select pg_current_wal_insert_lsn()::text as lsn`.execute(
        store.db,
      );
      await store.flushLog();
      const flushed = await sql<{
        ok: boolean;
      }>`select pg_current_wal_flush_lsn() >= ${rows[0]!.lsn}::pg_lsn as ok`.execute(store.db);
      expect(flushed.rows[0]!.ok).toBe(true);
      // It forces the flush rather than waiting for the WAL writer's next round (wal_writer_delay,
      // 200 ms by default; seconds once the writer sleeps on an idle server): five flushes, each
      // behind a fresh record, take a few fsyncs, not a second.
      const started_ms = performance.now();
      for (let i = 0; i < 5; i++) {
        await sql`select pg_logical_emit_message(false, 'paymux-test', 'not a commit')`.execute(store.db);
        await store.flushLog();
      }
      expect(performance.now() - started_ms).toBeLessThan(400);
    } else {
      // The frames are in the log file, which flushLog syncs; an in-memory database has none.
      expect(statSync(`${db.url}-wal`).size).toBeGreaterThan(0);
      await store.flushLog();
      const memory = openStore({ url: ':memory:' });
      await expect(memory.flushLog()).resolves.toBeUndefined();
      await memory.close();
    }
    expect(await store.transact((tx) => insertNonceIfNew(tx, 'app_1', 'nonce-to-flush', 10))).toBe(false);
  });

  it.skipIf(skip)('commits concurrent transactions together, rolling back a failing one alone', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) =>
        store.transact(async (tx) => {
          await insertPaymentIfNew(tx, payment(`pay_T${i}`, `t-${i}`));
          if (i % 10 === 3) throw new Error(`job ${i} fails`);
          return i;
        }),
      ),
    );
    for (const [i, r] of results.entries()) {
      if (i % 10 === 3) {
        expect(r.status).toBe('rejected');
        expect(await findPaymentById(store.db, `pay_T${i}`)).toBeUndefined();
      } else {
        expect(r).toEqual({ status: 'fulfilled', value: i });
        expect(await findPaymentById(store.db, `pay_T${i}`)).toBeDefined();
      }
    }
  });
});

describe('secret box', () => {
  const box = new SecretBox(randomBytes(32));
  it('opens what it sealed, only for the same place', () => {
    const sealed = box.seal('-----BEGIN PRIVATE KEY-----', 'channel-account:ca_1');
    expect(sealed).not.toContain('PRIVATE');
    expect(box.open(sealed, 'channel-account:ca_1')).toBe('-----BEGIN PRIVATE KEY-----');
    expect(() => box.open(sealed, 'channel-account:ca_2')).toThrow(/does not open/);
    expect(() => new SecretBox(randomBytes(32)).open(sealed, 'channel-account:ca_1')).toThrow(
      /does not open/,
    );
  });
  it('detects tampering', () => {
    const parts = box.seal('secret', 'a').split('.');
    const flipped = Buffer.from(parts[2]!, 'base64url');
    flipped[0] = flipped[0]! ^ 1;
    parts[2] = flipped.toString('base64url');
    expect(() => box.open(parts.join('.'), 'a')).toThrow();
  });
  it('refuses a key of the wrong size', () => {
    expect(() => new SecretBox(randomBytes(16))).toThrow(/32 bytes/);
  });
});
