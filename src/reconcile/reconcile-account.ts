import { channelAdapter } from '../channels/registry.ts';
import type { ChannelName } from '../domain/pay-way.ts';
import { channelContext, type Gateway } from '../services/gateway.ts';
import { ReconcileAuditTrail } from './audit-trail.ts';
import { dayRangeOf } from './beijing-day.ts';
import { matchStream } from './match-stream.ts';
import { BillMatcher } from './matcher.ts';
import { DatabaseOurSide } from './our-side.ts';
import { repairItem } from './repair.ts';
import { type AccountReport, ReportWriter } from './report.ts';
import type { DiscrepancyItem, RepairRecord } from './types.ts';

/**
 * One account, one Beijing day: download the bill through the adapter (a stream), match it with
 * our records, repair lost orders by query, and write the report files into `out_dir`.
 * A bill that cannot be downloaded or parsed makes the report "bill_unusable" — never a clean day.
 */
export const REPAIRS_PER_ACCOUNT_MAX = 1_000;

export async function reconcileAccount(
  gw: Gateway,
  account_id: string,
  bill_date: string,
  out_dir: string,
): Promise<AccountReport> {
  const started_at_ms = gw.clock.now_ms();
  const day = dayRangeOf(bill_date);
  const account = await gw.accounts.load(account_id);
  if (!account) throw new Error(`channel account ${account_id} does not exist`);
  const adapter = channelAdapter(account.channel as ChannelName);
  const matcher = new BillMatcher(account.channel, account.id, day);
  const writer = await ReportWriter.open(out_dir, account.id);
  const head = { channel: account.channel, account_id: account.id, bill_date, started_at_ms };
  const audit = await ReconcileAuditTrail.begin(gw, head);
  let error: string | undefined;
  const repairs: RepairRecord[] = [];
  try {
    if (!adapter?.downloadBill) throw new Error(`the ${account.channel} adapter cannot download bills`);
    const ctx = channelContext(gw);
    const candidates = await matchStream(
      adapter.downloadBill(ctx, account, bill_date),
      new DatabaseOurSide(gw.store.db),
      matcher,
      {
        emit: async (item) => {
          await writer.add(item);
          await audit.add(item);
        },
        repairs_max: REPAIRS_PER_ACCOUNT_MAX,
      },
    );
    // One at a time: repairs are rare, and the channel's query rate limits are not ours to test.
    for (const item of candidates) {
      const repair = await repairItem(gw, account, item);
      repairs.push(repair);
      const settled: DiscrepancyItem = {
        ...item,
        resolution: repair.outcome === 'repaired' ? 'repaired' : 'unresolved',
        ...(item.ours ? { ours: { ...item.ours, state: repair.state_after } } : {}),
        detail: `${item.detail}; ${repair.detail}`,
      };
      await writer.add(settled);
      await audit.add(settled, repair);
    }
  } catch (caught) {
    error = caught instanceof Error ? `${caught.name}: ${caught.message}` : 'unknown error';
    gw.logger.error({ account_id, bill_date, error }, 'reconciliation could not read the bill');
  }
  const report = await writer.finish(
    {
      ...head,
      finished_at_ms: gw.clock.now_ms(),
      status: error === undefined ? 'complete' : 'bill_unusable',
      ...(error === undefined ? {} : { error }),
    },
    matcher.counts,
    { bill: matcher.bill, ours: matcher.ours },
    repairs,
  );
  await audit.finish(report);
  return report;
}

/** Nothing left to look at: the whole bill read and every difference repaired. */
export function isClean(report: AccountReport): boolean {
  return report.status === 'complete' && report.summary.unresolved === 0;
}
