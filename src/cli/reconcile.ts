import type { Logger } from 'pino';
import { openGateway } from '../boot/open-gateway.ts';
import { registeredChannels } from '../channels/registry.ts';
import { loadConfig } from '../config/env.ts';
import type { Clock } from '../domain/clock.ts';
import type { Random } from '../domain/random.ts';
import { isBillDate } from '../reconcile/beijing-day.ts';
import { isClean } from '../reconcile/reconcile-account.ts';
import { defaultOutDir, reconcileChannel, UnknownAccountError } from '../reconcile/reconcile-channel.ts';
import type { AccountReport } from '../reconcile/report.ts';
import { DISCREPANCY_CLASSES } from '../reconcile/types.ts';

/**
 * `paymux reconcile --channel wechat|alipay|unionpay --date YYYY-MM-DD [--account ca_…] [--out dir]`
 * Exit status: 0 nothing unresolved, 1 something unresolved (or a bill unusable), 2 bad arguments.
 */
export const RECONCILE_USAGE =
  'usage: paymux reconcile --channel wechat|alipay|unionpay --date YYYY-MM-DD [--account ca_…] [--out dir]';

/** What tests inject; the command line uses the environment and the system's clock. */
export interface ReconcileCommandOptions {
  env?: NodeJS.ProcessEnv;
  clock?: Clock;
  random?: Random;
  logger?: Logger;
  print?: (line: string) => void;
  printError?: (line: string) => void;
}

interface Args {
  channel: string;
  date: string;
  account?: string;
  out?: string;
}

const FLAGS = ['channel', 'date', 'account', 'out'] as const;
type Flag = (typeof FLAGS)[number];

/** The parsed arguments, or the message that says what is wrong. */
export function parseReconcileArgs(args: readonly string[]): Args | string {
  const values: Partial<Record<Flag, string>> = {};
  for (let i = 0; i < args.length && i < 16; i++) {
    const arg = args[i]!;
    const m = /^--([a-z]+)(?:=(.*))?$/.exec(arg);
    if (!m || !FLAGS.includes(m[1] as Flag)) return `unknown argument ${arg}`;
    const value = m[2] ?? args[++i];
    if (value === undefined || value === '') return `${arg} needs a value`;
    values[m[1] as Flag] = value;
  }
  if (args.length > 16) return 'too many arguments';
  if (values.channel === undefined) return '--channel is required';
  if (!registeredChannels().includes(values.channel as never))
    return `--channel must be one of ${registeredChannels().join(', ')}`;
  if (values.date === undefined) return '--date is required';
  if (!isBillDate(values.date)) return '--date must be a calendar date YYYY-MM-DD (Beijing)';
  if (values.account !== undefined && !/^[\w-]{1,64}$/.test(values.account))
    return '--account must be a channel account id';
  return {
    channel: values.channel,
    date: values.date,
    ...(values.account ? { account: values.account } : {}),
    ...(values.out ? { out: values.out } : {}),
  };
}

function describe(report: AccountReport): string {
  const classes = DISCREPANCY_CLASSES.map((c) => [c, report.summary.by_class[c].unresolved] as const)
    .filter(([, n]) => n > 0)
    .map(([c, n]) => `${c} ${n}`)
    .join(', ');
  const state = report.status === 'complete' ? '' : ` BILL UNUSABLE (${report.error ?? 'unknown'})`;
  return (
    `${report.channel} ${report.account_id} ${report.bill_date}: ${report.summary.bill_rows} bill rows, ` +
    `${report.summary.matched} matched, ${report.summary.repaired} repaired, ` +
    `${report.summary.unresolved} unresolved${classes ? ` (${classes})` : ''}${state}`
  );
}

export async function reconcileCommand(
  args: string[],
  options: ReconcileCommandOptions = {},
): Promise<number> {
  const print = options.print ?? ((line: string) => console.log(line));
  const printError = options.printError ?? ((line: string) => console.error(line));
  const parsed = parseReconcileArgs(args);
  if (typeof parsed === 'string') {
    printError(`${parsed}\n${RECONCILE_USAGE}`);
    return 2;
  }
  const config = loadConfig(options.env);
  const runtime = await openGateway({
    config,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.random ? { random: options.random } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    start_jobs: false,
  });
  try {
    const out_dir = parsed.out ?? defaultOutDir(config.data_dir, parsed.channel, parsed.date);
    let reports: AccountReport[];
    try {
      reports = await reconcileChannel(runtime.gw, parsed.channel, parsed.date, {
        out_dir,
        ...(parsed.account ? { account_id: parsed.account } : {}),
      });
    } catch (error) {
      // A bill that fails is reported per account; only a wrong --account is an argument error.
      if (!(error instanceof UnknownAccountError)) throw error;
      printError(error.message);
      return 2;
    }
    if (reports.length === 0) print(`no enabled ${parsed.channel} accounts: nothing to reconcile`);
    for (const report of reports) print(describe(report));
    if (reports.length > 0) print(`reports in ${out_dir}`);
    return reports.every(isClean) ? 0 : 1;
  } finally {
    await runtime.close();
  }
}
