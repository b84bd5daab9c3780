import type { FastifyRequest } from 'fastify';
import { AppError } from '../domain/errors.ts';
import {
  HEADER_APP_ID,
  HEADER_NONCE,
  HEADER_SIGNATURE,
  HEADER_TIMESTAMP,
  hmacHex,
  NONCE_PATTERN,
  requestSigningString,
  SIGNATURE_TOLERANCE_S,
  signaturesEqual,
} from '../protocol/merchant-signature.ts';
import type { AppCredential } from '../services/app-credentials.ts';
import type { Gateway } from '../services/gateway.ts';
import { insertNonceIfNew } from '../storage/repositories/nonces.ts';
import { UNFLUSHED } from '../storage/transact.ts';

export interface AuthenticatedMerchant {
  credential: AppCredential;
  /** The secret that verified this request; the response is signed with it. */
  secret: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    merchant?: AuthenticatedMerchant;
    rawBody?: string;
  }
}

/**
 * Verifies a merchant's signed request: headers present, timestamp within 300 s, app known and
 * active, HMAC matching one of the app's active secrets, nonce never seen. Checked in this order so
 * a caller without the secret cannot burn another caller's nonces.
 */
export async function authenticateMerchant(
  gw: Gateway,
  request: FastifyRequest,
): Promise<AuthenticatedMerchant> {
  const app_id = header(request, HEADER_APP_ID);
  const timestamp = header(request, HEADER_TIMESTAMP);
  const nonce = header(request, HEADER_NONCE);
  const signature = header(request, HEADER_SIGNATURE);
  if (!app_id || !timestamp || !nonce || !signature) throw new AppError('AUTH_MISSING');
  if (!NONCE_PATTERN.test(nonce)) {
    throw new AppError(
      'AUTH_MISSING',
      'Paymux-Nonce must be 8 to 64 characters of A-Z a-z 0-9 _ -.',
      HEADER_NONCE,
    );
  }
  const now_s = Math.floor(gw.clock.now_ms() / 1000);
  if (!/^\d{1,12}$/.test(timestamp) || Math.abs(now_s - Number(timestamp)) > SIGNATURE_TOLERANCE_S) {
    throw new AppError('AUTH_TIMESTAMP_SKEW');
  }
  const credential = await gw.credentials.get(app_id);
  if (!credential?.active) throw new AppError('AUTH_APP_UNKNOWN');

  const message = requestSigningString(request.method, request.url, timestamp, nonce, request.rawBody ?? '');
  const secret = credential.secrets.find((s) => signaturesEqual(hmacHex(s, message), signature));
  if (secret === undefined) throw new AppError('AUTH_SIGNATURE_INVALID');

  // A nonce must outlive the window in which its timestamp is accepted, on either side of now.
  const expires_at = (Number(timestamp) + SIGNATURE_TOLERANCE_S * 2) * 1000;
  // Not flushed on its own: a write this request makes commits later and its flush carries the
  // nonce to disk too; a replay of a read can only read again (ADR 0007).
  const fresh = await gw.store.transact((tx) => insertNonceIfNew(tx, app_id, nonce, expires_at), UNFLUSHED);
  if (!fresh) throw new AppError('AUTH_NONCE_REUSED');
  return { credential, secret };
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** The merchant the API scope's preValidation hook authenticated (app.ts); every API route has one. */
export function merchantOf(request: FastifyRequest): AuthenticatedMerchant {
  if (!request.merchant) throw new Error('route reached without authentication');
  return request.merchant;
}
