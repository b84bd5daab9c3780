import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, errorBody } from '../domain/errors.ts';
import type { Gateway } from '../services/gateway.ts';
import {
  completeIdempotencyKey,
  findIdempotencyKey,
  insertIdempotencyKeyIfNew,
  releaseIdempotencyKey,
  takeOverStaleIdempotencyKey,
} from '../storage/repositories/idempotency.ts';
import { merchantOf } from './merchant-auth.ts';

/** Keys are kept this long, as Stripe does. */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 3600_000;
/** A request holding a key longer than this is presumed dead (crash) and its key may be taken over. */
export const IDEMPOTENCY_LOCK_MS = 60_000;
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export interface StoredResponse {
  status: number;
  body: unknown;
  replayed: boolean;
}

/**
 * Stripe's semantics for `Idempotency-Key`: the first result of a key is stored and replayed for
 * every retry; the same key with another request is IDEMPOTENCY_KEY_REUSED; a retry while the
 * first is still running is IDEMPOTENCY_IN_PROGRESS (409). Results that a retry could change
 * (retryable errors such as a channel timeout) are not stored, so the retry runs again — safe,
 * because the merchant order number already makes the payment itself unique.
 */
export async function withIdempotency(
  gw: Gateway,
  app_id: string,
  key: string | undefined,
  fingerprint: string,
  run: () => Promise<{ status: number; body: unknown }>,
): Promise<StoredResponse> {
  if (key === undefined) return { ...(await run()), replayed: false };
  if (!IDEMPOTENCY_KEY_PATTERN.test(key)) {
    throw new AppError(
      'REQUEST_INVALID',
      'Idempotency-Key must be 1 to 255 printable ASCII characters without spaces.',
      'Idempotency-Key',
    );
  }
  const request_hash = createHash('sha256').update(fingerprint).digest('hex');
  const now = gw.clock.now_ms();
  const taken = await gw.store.transact(async (tx) => {
    if (
      await insertIdempotencyKeyIfNew(tx, {
        app_id,
        key,
        request_hash,
        state: 'in_progress',
        response_status: null,
        response_body: null,
        locked_until: now + IDEMPOTENCY_LOCK_MS,
        created_at: now,
        expires_at: now + IDEMPOTENCY_KEY_TTL_MS,
      })
    ) {
      return { taken: true as const };
    }
    const existing = await findIdempotencyKey(tx, app_id, key);
    if (!existing) return { taken: false as const, existing: undefined };
    if (existing.request_hash === request_hash && existing.state === 'in_progress') {
      if (await takeOverStaleIdempotencyKey(tx, app_id, key, now, now + IDEMPOTENCY_LOCK_MS))
        return { taken: true as const };
    }
    return { taken: false as const, existing };
  });
  if (!taken.taken) {
    const existing = taken.existing;
    if (!existing) throw new AppError('IDEMPOTENCY_IN_PROGRESS');
    if (existing.request_hash !== request_hash)
      throw new AppError('IDEMPOTENCY_KEY_REUSED', undefined, 'Idempotency-Key');
    if (existing.state !== 'done') throw new AppError('IDEMPOTENCY_IN_PROGRESS');
    return { status: existing.response_status!, body: JSON.parse(existing.response_body!), replayed: true };
  }

  let result: { status: number; body: unknown };
  try {
    result = await run();
  } catch (error) {
    if (error instanceof AppError && !error.retryable) {
      await gw.store.transact((tx) =>
        completeIdempotencyKey(tx, app_id, key, error.status, JSON.stringify(errorBody(error))),
      );
    } else {
      await gw.store.transact((tx) => releaseIdempotencyKey(tx, app_id, key));
    }
    throw error;
  }
  await gw.store.transact((tx) =>
    completeIdempotencyKey(tx, app_id, key, result.status, JSON.stringify(result.body)),
  );
  return { ...result, replayed: false };
}

/**
 * A signed write of the merchant API under its `Idempotency-Key` header (if sent): runs it once,
 * stores and replays its result, and answers with `idempotent-replayed: true` on a replay. The
 * fingerprint is the method, the path and the raw body, so the same key with another request is
 * refused.
 */
export async function sendIdempotent(
  gw: Gateway,
  request: FastifyRequest,
  reply: FastifyReply,
  run: () => Promise<{ status: number; body: unknown }>,
): Promise<FastifyReply> {
  const key = request.headers['idempotency-key'];
  const stored = await withIdempotency(
    gw,
    merchantOf(request).credential.app_id,
    typeof key === 'string' ? key : undefined,
    `${request.method} ${request.url.split('?')[0]}\n${request.rawBody ?? ''}`,
    run,
  );
  if (stored.replayed) void reply.header('idempotent-replayed', 'true');
  return reply.status(stored.status).send(stored.body);
}
