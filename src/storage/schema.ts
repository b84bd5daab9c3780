/**
 * The database as Kysely sees it. One schema for SQLite and PostgreSQL: times are integer
 * milliseconds since the epoch (bigint), money is integer fen (bigint), flags and enums are text,
 * JSON is text. Secrets are stored only sealed (secret-box.ts).
 */
export interface Database {
  merchants: MerchantTable;
  apps: AppTable;
  channel_accounts: ChannelAccountTable;
  payments: PaymentTable;
  refunds: RefundTable;
  events: EventTable;
  delivery_attempts: DeliveryAttemptTable;
  idempotency_keys: IdempotencyKeyTable;
  request_nonces: RequestNonceTable;
  channel_notifications: ChannelNotificationTable;
  static_codes: StaticCodeTable;
  reconcile_runs: ReconcileRunTable;
  reconcile_items: ReconcileItemTable;
}

export interface MerchantTable {
  id: string;
  name: string;
  status: 'active' | 'suspended';
  created_at: number;
}

export interface AppTable {
  id: string;
  merchant_id: string;
  name: string;
  status: 'active' | 'disabled';
  /** Sealed HMAC secret. */
  secret_sealed: string;
  /** The secret before the last rotation, still accepted until retired: two active at once. */
  previous_secret_sealed: string | null;
  created_at: number;
}

export interface ChannelAccountTable {
  id: string;
  merchant_id: string;
  channel: string;
  mode: 'direct' | 'partner';
  name: string;
  status: 'enabled' | 'disabled';
  /** Non-secret settings as JSON (mchid, appid, key ids, base URL). */
  settings_json: string;
  /** Sealed JSON of the secret settings (keys, API keys). */
  secrets_sealed: string;
  created_at: number;
  updated_at: number;
}

export interface PaymentTable {
  id: string;
  merchant_id: string;
  app_id: string;
  channel_account_id: string;
  channel: string;
  pay_way: string;
  merchant_order_no: string;
  amount_fen: number;
  currency: string;
  subject: string;
  state: string;
  /** Optimistic concurrency: every state change bumps it and checks the old value. */
  version: number;
  notify_url: string | null;
  client_ip: string | null;
  /** SHA-256 of the canonical create parameters: tells a retry from a conflicting reuse. */
  request_hash: string;
  code_url: string | null;
  channel_trade_no: string | null;
  channel_status: string | null;
  failure_code: string | null;
  failure_message: string | null;
  metadata_json: string | null;
  expires_at: number;
  paid_at: number | null;
  ended_at: number | null;
  created_at: number;
  updated_at: number;
  /** When the sync job next queries the channel; null once the payment has ended. */
  next_check_at: number | null;
  check_attempts: number;
  /** Sum of this payment's refunds that are not CLOSED; never above amount_fen. */
  refund_reserved_fen: number;
  /** JSON of the PayCredential the channel gave (JSAPI parameters, page URLs, …). */
  credential_json: string | null;
  /** JSON of the payer identity the merchant sent (openid, buyer id); never a payment code. */
  payer_json: string | null;
}

export interface RefundTable {
  id: string;
  payment_id: string;
  merchant_id: string;
  app_id: string;
  channel_account_id: string;
  channel: string;
  merchant_refund_no: string;
  amount_fen: number;
  reason: string | null;
  notify_url: string | null;
  state: string;
  version: number;
  request_hash: string;
  channel_refund_no: string | null;
  channel_status: string | null;
  failure_code: string | null;
  failure_message: string | null;
  succeeded_at: number | null;
  next_check_at: number | null;
  check_attempts: number;
  created_at: number;
  updated_at: number;
}

export interface EventTable {
  id: string;
  merchant_id: string;
  app_id: string;
  payment_id: string | null;
  type: string;
  /** Unique: one event per fact (e.g. payment.succeeded of one payment), whatever path reported it. */
  dedupe_key: string;
  payload_json: string;
  notify_url: string | null;
  delivery_state: 'pending' | 'delivered' | 'exhausted' | 'none';
  attempts: number;
  next_attempt_at: number | null;
  /** A worker that claimed the event holds it until this time. */
  lease_until: number | null;
  /** The claim's random token, so a worker reads back exactly its own claim. */
  lease_owner: string | null;
  delivered_at: number | null;
  last_error: string | null;
  created_at: number;
}

export interface DeliveryAttemptTable {
  id: string;
  event_id: string;
  attempt_no: number;
  started_at: number;
  duration_ms: number;
  http_status: number | null;
  error: string | null;
}

export interface IdempotencyKeyTable {
  app_id: string;
  key: string;
  request_hash: string;
  state: 'in_progress' | 'done';
  response_status: number | null;
  response_body: string | null;
  /** While in progress: after this time a crashed holder's key may be taken over. */
  locked_until: number;
  created_at: number;
  expires_at: number;
}

export interface RequestNonceTable {
  app_id: string;
  nonce: string;
  expires_at: number;
}

export interface ChannelNotificationTable {
  id: string;
  channel: string;
  channel_account_id: string;
  payment_id: string | null;
  notification_id: string | null;
  outcome: string;
  detail: string | null;
  received_at: number;
}

/** A merchant's permanent QR code (码牌): the payer opens it in any wallet and types the amount. */
export interface StaticCodeTable {
  id: string;
  merchant_id: string;
  /** The app whose events (and notify_url) the code's payments use. */
  app_id: string;
  /** Shown to the payer and printed on the plate: the store or till name. */
  name: string;
  notify_url: string | null;
  status: 'active' | 'disabled';
  created_at: number;
}

/** One reconciliation of one channel account and Beijing bill day (migration 007). */
export interface ReconcileRunTable {
  id: string;
  channel: string;
  channel_account_id: string;
  bill_date: string;
  started_at: number;
  finished_at: number | null;
  rows: number;
  matched: number;
  repaired: number;
  unresolved: number;
  status: 'running' | 'complete' | 'bill_unusable';
  error: string | null;
}

/** One difference a reconciliation run found, and what its repair did. */
export interface ReconcileItemTable {
  id: string;
  run_id: string;
  kind: string;
  out_trade_no: string;
  out_refund_no: string | null;
  our_state: string | null;
  our_amount_fen: number | null;
  channel_status: string | null;
  channel_amount_fen: number | null;
  detail: string;
  repair_action: string | null;
  resolved_at: number | null;
}
