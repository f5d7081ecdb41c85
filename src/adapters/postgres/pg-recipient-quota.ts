import { createHash } from 'node:crypto';
import { QUOTA_WINDOW_MS, type RecipientQuota } from '../../application/ports/recipient-quota.js';
import { isConnectionFailure, translate } from './pg-errors.js';
import type { SqlDatabase } from './sql-database.js';

// The first key of a two-key advisory lock: a key space apart from the one-key locks (the migrations').
const QUOTA_LOCK_CLASS = 74_021_183;

/*
 * Run under the recipient's advisory lock, in its own statement: READ COMMITTED takes a new snapshot
 * for it, after the lock, so it counts every unit committed by whoever held the lock before.
 * A unit of this notification taken within the hour is enough (a retry, a redelivery, a take-over); an older
 * one is replaced, counted like a new one. Times are the database's: the one clock every notifier shares.
 */
const TAKE = `
  WITH held AS (
    SELECT 1 FROM recipient_quota_units
     WHERE notification_key = $2 AND recipient = $1 AND taken_at > statement_timestamp() - $4 * interval '1 millisecond'
  ), used AS (
    SELECT count(*)::int AS n FROM recipient_quota_units
     WHERE recipient = $1 AND notification_key <> $2 AND taken_at > statement_timestamp() - $4 * interval '1 millisecond'
  ), taken AS (
    INSERT INTO recipient_quota_units (notification_key, recipient, taken_at)
    SELECT $2, $1, statement_timestamp() WHERE NOT EXISTS (SELECT 1 FROM held) AND (SELECT n FROM used) < $3
    ON CONFLICT (notification_key) DO UPDATE SET recipient = EXCLUDED.recipient, taken_at = EXCLUDED.taken_at
    RETURNING 1
  )
  SELECT EXISTS (SELECT 1 FROM held) OR EXISTS (SELECT 1 FROM taken) AS allowed`;

const PRUNE = `WITH pruned AS (DELETE FROM recipient_quota_units WHERE taken_at <= statement_timestamp() - $1 * interval '1 millisecond' RETURNING 1)
  SELECT count(*)::int AS n FROM pruned`;

/** The per-recipient cap in PostgreSQL (a server or PGlite): every notifier on the database takes from the same units. */
export class PgRecipientQuota implements RecipientQuota {
  constructor(
    private readonly database: SqlDatabase,
    readonly perHour: number,
  ) {}

  async take(recipient: string, unit: string): Promise<boolean> {
    // Stored and locked as a hash: the table holds no address.
    const key = createHash('sha256').update(recipient).digest('base64url');
    const client = await this.database.connect().catch((error: unknown) => {
      throw translate(error);
    });
    let broken = false;
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1::int, hashtext($2))', [QUOTA_LOCK_CLASS, key]);
      const { rows } = await client.query<{ allowed: boolean }>(TAKE, [key, unit, this.perHour, QUOTA_WINDOW_MS]);
      await client.query('COMMIT');
      return rows[0]?.allowed === true;
    } catch (error) {
      broken = isConnectionFailure(error);
      if (!broken) await client.query('ROLLBACK').catch(() => (broken = true));
      throw translate(error);
    } finally {
      client.release(broken);
    }
  }

  async prune(): Promise<number> {
    try {
      const { rows } = await this.database.query<{ n: number }>(PRUNE, [QUOTA_WINDOW_MS]);
      return rows[0]?.n ?? 0;
    } catch (error) {
      throw translate(error);
    }
  }
}
