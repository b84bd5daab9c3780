import type { ChannelAccount, IdentityFailureCode, IdentityOutcome } from './types.ts';

/** What the channels' payer authorisations (each channel's payer-auth.ts) share. */

export function identityFailed(code: IdentityFailureCode, detail: string): IdentityOutcome {
  return { kind: 'failed', code, detail };
}

/** The account's settings problem as a sentence, or null: what `configProblem` answers. */
export function configProblemOf<C>(
  configOf: (account: ChannelAccount) => C,
  account: ChannelAccount,
): string | null {
  try {
    configOf(account);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}
