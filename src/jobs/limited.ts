/**
 * Runs `work` over `items` with at most `limit` running at once, and resolves when all have ended.
 * A job round claims a batch; starting all of it at once would put a burst of signatures, requests
 * and commits on the event loop in one go, and every merchant request arriving then would wait
 * behind the whole burst. A few at a time interleave with that traffic instead. `work` handles its
 * own errors: a rejection here rejects the whole run (after the running ones end, none new start).
 */
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<unknown>,
): Promise<void> {
  if (!(limit >= 1)) throw new Error(`limit must be at least 1, got ${limit}`);
  let next = 0;
  let failure: { error: unknown } | null = null;
  const lane = async (): Promise<void> => {
    while (next < items.length && !failure) {
      const item = items[next]!;
      next += 1;
      try {
        await work(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  if (failure) throw (failure as { error: unknown }).error;
}
