import { channelAdapter } from '../channels/registry.ts';
import type { ChannelAccount } from '../channels/types.ts';
import type { ChannelName } from '../domain/pay-way.ts';
import { applyObservation } from '../services/apply-observation.ts';
import { channelContext, type Gateway } from '../services/gateway.ts';
import { syncRefund } from '../services/sync-refund.ts';
import { findPaymentById } from '../storage/repositories/payments.ts';
import { findRefundById } from '../storage/repositories/refunds.ts';
import type { DiscrepancyItem, RepairRecord } from './types.ts';

/**
 * Repairs one item the bill says happened and we do not (a lost order) — never on the bill's word:
 * the channel is queried and its answer applied through the one writer of payment state
 * (applyObservation, source 'query') or of refund state (syncRefund). The record returned is the
 * audit trail: what was asked, what came back, the state before and after.
 */
export async function repairItem(
  gw: Gateway,
  account: ChannelAccount,
  item: DiscrepancyItem,
): Promise<RepairRecord> {
  const at_ms = gw.clock.now_ms();
  const base = { kind: item.kind, id: item.our_id, at_ms, state_before: item.ours?.state ?? '' };
  try {
    return item.kind === 'payment'
      ? await repairPayment(gw, account, item, base)
      : await repairRefund(gw, item, base);
  } catch (error) {
    gw.logger.error({ id: item.our_id, err: error }, 'reconciliation repair failed');
    return {
      ...base,
      state_after: base.state_before,
      channel_status: null,
      outcome: 'not_repaired',
      detail: `repair failed: ${error instanceof Error ? error.message : 'unknown error'}`,
    };
  }
}

type Base = Pick<RepairRecord, 'kind' | 'id' | 'at_ms' | 'state_before'>;

async function repairPayment(
  gw: Gateway,
  account: ChannelAccount,
  item: DiscrepancyItem,
  base: Base,
): Promise<RepairRecord> {
  const adapter = channelAdapter(account.channel as ChannelName);
  if (!adapter) throw new Error(`no adapter for ${account.channel}`);
  const ctx = channelContext(gw);
  const queried = await adapter.queryPayment(ctx, account, item.our_id);
  if (queried.kind === 'unknown') {
    return {
      ...base,
      state_after: base.state_before,
      channel_status: null,
      outcome: 'not_repaired',
      detail: `query: ${queried.reason}`,
    };
  }
  const { kind: _kind, ...observation } = queried;
  const applied = await applyObservation(gw, item.our_id, observation, 'query', {
    via_account_id: account.id,
  });
  const after = applied.kind === 'not_found' ? undefined : await findPaymentById(gw.store.db, item.our_id);
  const state_after = after?.state ?? base.state_before;
  const repaired = state_after === 'SUCCESS' && after?.amount_fen === item.theirs?.amount_fen;
  return {
    ...base,
    state_after,
    channel_status: observation.channel_status,
    outcome: repaired ? 'repaired' : 'not_repaired',
    detail: `query answered ${observation.status}; applied: ${applied.kind}`,
  };
}

async function repairRefund(gw: Gateway, item: DiscrepancyItem, base: Base): Promise<RepairRecord> {
  const refund = await findRefundById(gw.store.db, item.our_id);
  if (!refund) throw new Error('refund not found');
  const synced = await syncRefund(gw, refund);
  const after = await findRefundById(gw.store.db, item.our_id);
  const state_after = after?.state ?? base.state_before;
  const repaired = state_after === 'SUCCESS' && after?.amount_fen === item.theirs?.amount_fen;
  return {
    ...base,
    state_after,
    channel_status: after?.channel_status ?? null,
    outcome: repaired ? 'repaired' : 'not_repaired',
    detail: `refund query: ${synced}`,
  };
}
