import { SeededRandom } from '../domain/random.ts';

/**
 * Named failpoints: places between receiving a request and acknowledging it where a test can make
 * the gateway crash (SIGKILL itself: no cleanup, no flush, no finally) or throw, to prove that
 * every step is recoverable. Off unless PAYMUX_FAILPOINTS is set; then `failpoint()` costs one
 * module-level boolean check and nothing else.
 *
 *   PAYMUX_FAILPOINTS="create.after_channel_call=crash@0.05;notify.before_reply=error@0.1"
 *   PAYMUX_FAILPOINTS="*=crash@0.002"          every failpoint, each hit with probability 0.002
 *   PAYMUX_FAILPOINTS_SEED=42                  the probabilities are drawn from a seeded generator
 *
 * A rule is `name=action[@probability][*times]`; `name` is one of FAILPOINTS or `*`. Actions:
 *   crash  process.kill(process.pid, 'SIGKILL') — a real crash
 *   error  throw FailpointError (an unexpected exception at that step)
 *   off    nothing (lets a `*` rule skip one name when listed before it)
 * The first matching rule decides. In-process simulations (src/sim) install rules with
 * `configureFailpoints` and a crash handler that throws instead of killing the process.
 */
export const FAILPOINTS = [
  // services/create-payment.ts — POST /v1/payments
  'create.before_insert_commit', // the CREATED row is about to be committed
  'create.after_insert_commit', // CREATED is durable; the channel has not been called
  'create.before_channel_call',
  'create.after_channel_call', // the channel answered (it may have charged a payment code)
  'create.before_outcome_commit', // the channel's answer is about to be committed
  'create.after_outcome_commit', // committed; the merchant has not been answered yet
  // services/channel-notifications.ts — POST /v1/channel-notify/…
  'notify.after_verify', // signature verified and decrypted; nothing applied
  'notify.before_commit',
  'notify.after_commit', // the state change and its event are durable
  'notify.before_reply', // about to answer the channel "received"
  // jobs/event-delivery.ts — the outbox
  'delivery.after_claim', // a batch is leased, nothing sent
  'delivery.after_send', // the merchant got the event; the attempt is not recorded
  // services/create-refund.ts — POST /v1/payments/:id/refunds
  'refund.before_commit', // reservation + PROCESSING row about to be committed
  'refund.after_commit',
  'refund.before_channel_call',
  'refund.after_channel_call', // the channel may have accepted the refund
  // services/sync-payment.ts, close-at-channel.ts, reverse-at-channel.ts, sync-refund.ts — the sync job
  'sync.after_claim', // jobs/payment-sync.ts: checks leased, none run
  'sync.after_query', // the channel answered a query; not applied
  'sync.before_close', // an expired payment is about to be closed at the channel
  'sync.after_close', // the channel closed it; not applied here yet
  'sync.before_reverse', // a payment-code order is about to be reversed
  'sync.after_reverse', // the channel reversed it; not applied here yet
  'sync.after_refund_query', // the channel answered a refund query; not applied
] as const;
export type FailpointName = (typeof FAILPOINTS)[number];

export type FailpointAction = 'crash' | 'error' | 'off';

export interface FailpointRule {
  name: FailpointName | '*';
  action: FailpointAction;
  /** Chance per hit, 0..1; default 1. */
  probability: number;
  /** Fire at most this many times; undefined = no limit. */
  times?: number;
}

export class FailpointError extends Error {
  override name = 'FailpointError';
  constructor(readonly failpoint: FailpointName) {
    super(`failpoint ${failpoint}`);
  }
}

interface FailpointState {
  rules: FailpointRule[];
  chance: () => number;
  crash: (name: FailpointName) => never;
}

/** The only thing `failpoint()` reads when failpoints are off. */
let enabled = false;
let state: FailpointState | null = null;

function killSelf(name: FailpointName): never {
  process.stderr.write(`paymux: failpoint ${name}: crash (SIGKILL)\n`);
  process.kill(process.pid, 'SIGKILL');
  // SIGKILL is not delivered synchronously everywhere; nothing after this point may run.
  throw new FailpointError(name);
}

/** Marks a step; does nothing unless failpoints are configured. */
export function failpoint(name: FailpointName): void {
  if (!enabled) return;
  fire(name);
}

function fire(name: FailpointName): void {
  const s = state;
  if (!s) return;
  const rule = s.rules.find((r) => r.name === name || r.name === '*');
  if (!rule || rule.action === 'off') return;
  if (rule.times !== undefined && rule.times <= 0) return;
  if (rule.probability < 1 && s.chance() >= rule.probability) return;
  if (rule.times !== undefined) rule.times -= 1;
  if (rule.action === 'crash') s.crash(name);
  throw new FailpointError(name);
}

/** Parses `name=action[@p][*n];…`; throws an Error naming the bad part. */
export function parseFailpoints(spec: string): FailpointRule[] {
  const rules: FailpointRule[] = [];
  for (const part of spec.split(';').map((p) => p.trim())) {
    if (part === '') continue;
    const m = /^([a-z_.*]+)=(crash|error|off)(?:@([0-9.]+))?(?:\*(\d+))?$/.exec(part);
    if (!m) throw new Error(`PAYMUX_FAILPOINTS: cannot read "${part}" (name=crash|error|off[@p][*n])`);
    const name = m[1]!;
    if (name !== '*' && !(FAILPOINTS as readonly string[]).includes(name))
      throw new Error(`PAYMUX_FAILPOINTS: no failpoint "${name}"; known: ${FAILPOINTS.join(', ')}`);
    const probability = m[3] === undefined ? 1 : Number(m[3]);
    if (!(probability >= 0 && probability <= 1))
      throw new Error(`PAYMUX_FAILPOINTS: probability in "${part}" must be from 0 to 1`);
    rules.push({
      name: name as FailpointName | '*',
      action: m[2] as FailpointAction,
      probability,
      ...(m[4] === undefined ? {} : { times: Number(m[4]) }),
    });
  }
  return rules;
}

export interface FailpointOptions {
  rules: FailpointRule[];
  /** Draws in [0, 1); default Math.random. */
  chance?: () => number;
  /** What `crash` does; default SIGKILL of this process. */
  crash?: (name: FailpointName) => never;
}

/** Installs failpoint rules (replacing any); an empty list turns them off. */
export function configureFailpoints(options: FailpointOptions): void {
  state = {
    rules: options.rules.map((r) => ({ ...r })),
    chance: options.chance ?? Math.random,
    crash: options.crash ?? killSelf,
  };
  enabled = options.rules.length > 0;
}

export function disableFailpoints(): void {
  enabled = false;
  state = null;
}

/** Reads PAYMUX_FAILPOINTS (and PAYMUX_FAILPOINTS_SEED) once, at import. */
function fromEnvironment(env: NodeJS.ProcessEnv): void {
  const spec = env.PAYMUX_FAILPOINTS;
  if (spec === undefined || spec.trim() === '') return;
  const seed = env.PAYMUX_FAILPOINTS_SEED;
  const random = seed === undefined ? null : new SeededRandom(Number(seed) >>> 0);
  configureFailpoints({
    rules: parseFailpoints(spec),
    ...(random ? { chance: () => random.nextFloat() } : {}),
  });
}

fromEnvironment(process.env);
