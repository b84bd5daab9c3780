/**
 * Assertions are for programmer errors: an invariant that no input may break. A failed assertion
 * is a bug, so it throws an error that is never shown to a caller as their fault.
 */
export class InvariantViolation extends Error {
  override name = 'InvariantViolation';
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new InvariantViolation(message);
}
