import { ulid } from '../domain/ids.ts';
import type { Gateway } from '../services/gateway.ts';
import {
  finishReconcileRun,
  insertReconcileItems,
  insertReconcileRunIfNew,
  RECONCILE_ITEMS_PER_INSERT_MAX,
  type ReconcileItemRecord,
} from '../storage/repositories/reconcile.ts';
import type { AccountReport } from './report.ts';
import type { DiscrepancyItem, RepairRecord } from './types.ts';

/**
 * The database half of a reconciliation's record (the report files are the other): a
 * `reconcile_runs` row written when the run starts (status running) and finished with its counts,
 * and a `reconcile_items` row per difference, written in batches as found. A repair by query
 * records what it asked, what the channel answered, what was applied and the state before and
 * after (`repair_action`), and `resolved_at` when it settled the difference.
 */
const RUN_ID_ATTEMPTS_MAX = 16;

export class ReconcileAuditTrail {
  readonly #pending: ReconcileItemRecord[] = [];
  #seq = 0;

  private constructor(
    private readonly gw: Gateway,
    readonly run_id: string,
  ) {}

  static async begin(
    gw: Gateway,
    head: { channel: string; account_id: string; bill_date: string; started_at_ms: number },
  ): Promise<ReconcileAuditTrail> {
    // A replayed random source (a seeded test, two runs in the same millisecond) can draw an id
    // again: draw another rather than fail the run.
    for (let attempt = 0; attempt < RUN_ID_ATTEMPTS_MAX; attempt++) {
      const run_id = `rcn_${ulid(head.started_at_ms, gw.random)}`;
      const inserted = await gw.store.transact((tx) =>
        insertReconcileRunIfNew(tx, {
          id: run_id,
          channel: head.channel,
          channel_account_id: head.account_id,
          bill_date: head.bill_date,
          started_at: head.started_at_ms,
          finished_at: null,
          rows: 0,
          matched: 0,
          repaired: 0,
          unresolved: 0,
          status: 'running',
          error: null,
        }),
      );
      if (inserted) return new ReconcileAuditTrail(gw, run_id);
    }
    throw new Error(`no free reconciliation run id after ${RUN_ID_ATTEMPTS_MAX} draws`);
  }

  /** Records one difference (with its repair, when one was tried). */
  async add(item: DiscrepancyItem, repair?: RepairRecord): Promise<void> {
    const resolved = item.resolution === 'repaired';
    this.#pending.push({
      // Sortable within the run in the order found.
      id: `${this.run_id}_${String(++this.#seq).padStart(8, '0')}`,
      run_id: this.run_id,
      kind: item.class,
      out_trade_no: item.payment_id,
      out_refund_no: item.kind === 'refund' ? item.our_id : null,
      our_state: item.ours?.state ?? null,
      our_amount_fen: item.ours?.amount_fen ?? null,
      channel_status: item.theirs?.channel_status ?? null,
      channel_amount_fen: item.theirs?.amount_fen ?? null,
      detail: item.detail,
      repair_action: repair ? repairAction(repair) : null,
      resolved_at: resolved ? (repair?.at_ms ?? this.gw.clock.now_ms()) : null,
    });
    if (this.#pending.length >= RECONCILE_ITEMS_PER_INSERT_MAX) await this.flush();
  }

  async finish(report: AccountReport): Promise<void> {
    await this.flush();
    await this.gw.store.transact((tx) =>
      finishReconcileRun(tx, this.run_id, {
        finished_at: report.finished_at_ms,
        rows: report.summary.bill_rows,
        matched: report.summary.matched,
        repaired: report.summary.repaired,
        unresolved: report.summary.unresolved,
        status: report.status,
        error: report.error ?? null,
      }),
    );
  }

  private async flush(): Promise<void> {
    if (this.#pending.length === 0) return;
    const batch = this.#pending.splice(0, this.#pending.length);
    await this.gw.store.transact((tx) => insertReconcileItems(tx, batch));
  }
}

/** One line an operator reads: "query payment pay_…: channel SUCCESS; applied changed; PENDING → SUCCESS (repaired)". */
export function repairAction(repair: RepairRecord): string {
  const answered = repair.channel_status === null ? 'no answer' : `channel ${repair.channel_status}`;
  return `query ${repair.kind} ${repair.id}: ${answered}; ${repair.detail}; ${repair.state_before || '(none)'} → ${repair.state_after || '(none)'} (${repair.outcome.replace('_', ' ')})`;
}
