import type { Random } from '../../domain/random.ts';

/**
 * Faults on demand for the channel simulators, shared by all of them so every channel can be
 * broken the same way: per order or for the whole channel, for one operation or all, a fixed
 * number of times or with a probability drawn from the injected (seedable) Random, so a test
 * replays exactly.
 *
 * Operations are the simulator's own names ("create", "query", "close", "reverse", "refund",
 * "refund_query", "bill", "notify"). What each fault does is the simulator's to implement:
 *   latency_ms        answer after this delay
 *   timeout           accept the request and never answer (the client's deadline fires)
 *   http_500          answer 500 with the channel's system-error body
 *   system_error      answer the channel's "system busy, result unknown" code (WeChat SYSTEM_ERROR,
 *                     Alipay 20000 / ACQ.SYSTEM_ERROR, UnionPay respCode 03/04/05)
 *   user_paying       payment codes: the payer must confirm; the order turns into success or failure
 *                     after `resolve_after_ms` (outcome: `resolves_to`)
 *   drop_notification       never send the notification
 *   duplicate_notification  send each notification `copies` times
 *   delay_notification      send it `latency_ms` late
 *   withhold_notification   keep it until released through the control API
 *   reorder_notifications   hold notifications and send them newest first
 *   bill_mismatch     the bill row for the order disagrees (`bill_field`: amount | status | missing | extra)
 *   deny_authorization  operation "authorize": the payer refuses the wallet's user authorisation
 *                     (OAuth / user auth), so the wallet returns to the page without a code
 */
export const FAULT_KINDS = [
  'latency_ms',
  'timeout',
  'http_500',
  'system_error',
  'user_paying',
  'drop_notification',
  'duplicate_notification',
  'delay_notification',
  'withhold_notification',
  'reorder_notifications',
  'bill_mismatch',
  'deny_authorization',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultRule {
  kind: FaultKind;
  /** One operation, or '*' for all. */
  operation: string;
  /** One order (out_trade_no / orderId), or undefined for the whole channel. */
  order?: string;
  /** Apply to this many matching requests, then retire; undefined = until cleared. */
  times?: number;
  /** Chance of applying to a matching request, drawn from the seeded Random; default 1. */
  probability?: number;
  latency_ms?: number;
  resolve_after_ms?: number;
  resolves_to?: 'success' | 'failure';
  copies?: number;
  bill_field?: 'amount' | 'status' | 'missing' | 'extra';
}

export const FAULT_RULES_MAX = 1_000;

/** The set of active faults of one simulator. */
export class FaultPlan {
  readonly #rules: FaultRule[] = [];
  constructor(private readonly random: Random) {}

  /** Adds a rule after checking it; throws an Error that says what is wrong. */
  add(rule: unknown): FaultRule {
    const checked = checkFaultRule(rule);
    if (this.#rules.length >= FAULT_RULES_MAX) throw new Error(`at most ${FAULT_RULES_MAX} fault rules`);
    this.#rules.push(checked);
    return checked;
  }

  clear(): void {
    this.#rules.length = 0;
  }

  list(): readonly FaultRule[] {
    return this.#rules;
  }

  /**
   * The faults that apply to one request, in the order they were added; each counted rule is
   * consumed. Most-specific rules (an order) come before channel-wide ones.
   */
  take(operation: string, order?: string, kinds?: readonly FaultKind[]): FaultRule[] {
    const hits: FaultRule[] = [];
    for (const specific of [true, false]) {
      for (let i = 0; i < this.#rules.length; i++) {
        const rule = this.#rules[i]!;
        if ((rule.order !== undefined) !== specific) continue;
        if (rule.order !== undefined && rule.order !== order) continue;
        if (rule.operation !== '*' && rule.operation !== operation) continue;
        // Only the kinds the caller acts on are consumed: a counted '*' rule is not used up by
        // a caller that ignores its kind.
        if (kinds !== undefined && !kinds.includes(rule.kind)) continue;
        if (rule.probability !== undefined && rule.probability < 1 && this.chance() >= rule.probability)
          continue;
        hits.push(rule);
        if (rule.times !== undefined) {
          rule.times -= 1;
          if (rule.times <= 0) {
            this.#rules.splice(i, 1);
            i--;
          }
        }
      }
    }
    return hits;
  }

  /** The first applying fault of a kind, if any (consumes it like take()). */
  takeKind(operation: string, order: string | undefined, kinds: readonly FaultKind[]): FaultRule | undefined {
    return this.take(operation, order, kinds)[0];
  }

  private chance(): number {
    const b = this.random.bytes(4);
    return b.readUInt32BE(0) / 0x1_0000_0000;
  }
}

export function checkFaultRule(value: unknown): FaultRule {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error('a fault rule is a JSON object');
  const v = value as Record<string, unknown>;
  if (!FAULT_KINDS.includes(v.kind as FaultKind))
    throw new Error(`kind must be one of ${FAULT_KINDS.join(', ')}`);
  if (typeof v.operation !== 'string' || v.operation.length === 0 || v.operation.length > 32) {
    throw new Error('operation must be an operation name or "*"');
  }
  const optionalInt = (name: string, max: number) => {
    const x = v[name];
    if (x === undefined) return;
    if (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x > max)
      throw new Error(`${name} must be a whole number from 0 to ${max}`);
  };
  optionalInt('times', 1_000_000);
  optionalInt('latency_ms', 3_600_000);
  optionalInt('resolve_after_ms', 3_600_000);
  optionalInt('copies', 100);
  if (v.order !== undefined && (typeof v.order !== 'string' || v.order.length > 64))
    throw new Error('order must be an order number');
  if (
    v.probability !== undefined &&
    (typeof v.probability !== 'number' || !(v.probability >= 0 && v.probability <= 1))
  ) {
    throw new Error('probability must be from 0 to 1');
  }
  if (v.resolves_to !== undefined && v.resolves_to !== 'success' && v.resolves_to !== 'failure')
    throw new Error('resolves_to must be success or failure');
  if (
    v.bill_field !== undefined &&
    !['amount', 'status', 'missing', 'extra'].includes(String(v.bill_field))
  ) {
    throw new Error('bill_field must be amount, status, missing or extra');
  }
  return { ...(v as unknown as FaultRule) };
}
