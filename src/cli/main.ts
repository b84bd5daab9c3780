import { ConfigError } from '../config/env.ts';
import { callCommand } from './call.ts';
import { migrateCommand } from './migrate.ts';
import { reconcileCommand } from './reconcile.ts';
import { simCommand } from './sim.ts';
import { startCommand } from './start.ts';

/**
 * `paymux <command>`: a thin shell over the same parts the server uses.
 *   start                  gateway + channel simulators + demo merchant (embedded SQLite by default)
 *   migrate                bring the database schema up to date and exit
 *   call METHOD PATH [JSON] send a signed request as the demo app (or PAYMUX_APP_ID / PAYMUX_APP_SECRET)
 *   sim pay PAYMENT_ID     play the payer: pay a payment in the WeChat Pay simulator
 *   reconcile …            match a channel's bill of one day against our records
 */
const USAGE = `usage: paymux <command>
  start                      run the gateway with the channel simulators and a demo merchant
  migrate                    update the database schema and exit
  call METHOD PATH [JSON]    send a signed API request as the demo app
  sim pay PAYMENT_ID         pay a payment in the WeChat Pay simulator (as the payer)
  sim order PAYMENT_ID       show the simulator's view of an order
  reconcile --channel C --date YYYY-MM-DD [--account ID] [--out DIR]
                             reconcile a day's bill (exit 1 while anything is unresolved)`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start':
      return startCommand();
    case 'migrate':
      return migrateCommand();
    case 'call':
      return callCommand(rest);
    case 'sim':
      return simCommand(rest);
    case 'reconcile':
      return reconcileCommand(rest);
    default:
      console.error(USAGE);
      return command === undefined || command === 'help' || command === '--help' ? 0 : 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== -1) process.exit(code);
  },
  (error: unknown) => {
    if (error instanceof ConfigError) console.error(`configuration error: ${error.message}`);
    else console.error(error);
    process.exit(1);
  },
);
