import { join } from 'node:path';
import type { Gateway } from '../services/gateway.ts';
import { enabledAccountIdsOf } from './our-side.ts';
import { reconcileAccount } from './reconcile-account.ts';
import type { AccountReport } from './report.ts';

/** More accounts of one channel than this in one run is refused (a loop bound, not a business rule). */
export const ACCOUNTS_PER_RUN_MAX = 10_000;

/** The --account given is not an account of the channel. */
export class UnknownAccountError extends Error {
  override name = 'UnknownAccountError';
}

export interface ChannelRunOptions {
  /** Only this account (it must be of the channel); otherwise every enabled account of the channel. */
  account_id?: string;
  /** Directory of the report files; default <data_dir>/reconciliation/<channel>/<date>. */
  out_dir: string;
}

export function defaultOutDir(data_dir: string, channel: string, bill_date: string): string {
  return join(data_dir, 'reconciliation', channel, bill_date);
}

export async function reconcileChannel(
  gw: Gateway,
  channel: string,
  bill_date: string,
  options: ChannelRunOptions,
): Promise<AccountReport[]> {
  let ids: string[];
  if (options.account_id !== undefined) {
    const account = await gw.accounts.load(options.account_id);
    if (!account || account.channel !== channel)
      throw new UnknownAccountError(`no ${channel} channel account ${options.account_id}`);
    ids = [account.id];
  } else {
    ids = await enabledAccountIdsOf(gw.store.db, channel, ACCOUNTS_PER_RUN_MAX);
  }
  const reports: AccountReport[] = [];
  for (const id of ids) reports.push(await reconcileAccount(gw, id, bill_date, options.out_dir));
  return reports;
}
