import { createHash } from 'node:crypto';
import { QUOTA_WINDOW_MS, type RecipientQuota } from '../../application/ports/recipient-quota.js';
import { isConnectionFailure, translate } from './pg-errors.js';
import type { SqlDatabase } from './sql-database.js';
import { StatementBatcher } from './statement-batcher.js';

interface QuotaTake {
  /** The hash of the recipient's key. */
  readonly recipient: string;
  readonly unit: string;
}

// The first key of a two-key advisory lock: a key space apart from the one-key locks (the migrations').
const QUOTA_LOCK_CLASS = 74_021_183;

/*
 * Run under the recipients' advisory locks, in its own statement: READ COMMITTED takes a new snapshot for it,
 * after the locks, so it counts every unit committed by whoever held a lock before. One recipient at most per
 * batch (StatementBatcher), so the units a statement takes never share a count.
 * A unit of this notification taken within the hour is enough (a retry, a redelivery, a take-over); an older
 * one is replaced, counted like a new one. Times are the database's: the one clock every notifier shares.
 */
const TAKE_BATCH = `
  WITH i AS (
    SELECT * FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS i(recipient, unit, item)
  ), counted AS (
    SELECT i.*,
           EXISTS (SELECT 1 FROM recipient_quota_units u
                    WHERE u.notification_key = i.unit AND u.recipient = i.recipient AND u.taken_at > statement_timestamp() - $4 * interval '1 millisecond') AS held,
           (SELECT count(*) FROM recipient_quota_units u
             WHERE u.recipient = i.recipient AND u.notification_key <> i.unit AND u.taken_at > statement_timestamp() - $4 * interval '1 millisecond') AS used
      FROM i
  ), taken AS (
    INSERT INTO recipient_quota_units (notification_key, recipient, taken_at)
    SELECT unit, recipient, statement_timestamp() FROM counted WHERE NOT held AND used < $3 ORDER BY unit
    ON CONFLICT (notification_key) DO UPDATE SET recipient = EXCLUDED.recipient, taken_at = EXCLUDED.taken_at
    RETURNING notification_key
  )
  SELECT c.held OR EXISTS (SELECT 1 FROM taken t WHERE t.notification_key = c.unit) AS allowed FROM counted c ORDER BY c.item`;

/** Every recipient's lock of a batch, in the order of their ids: two batches never wait on each other in a circle. */
const LOCK_BATCH = `
  SELECT count(pg_advisory_xact_lock($1::int, id))::int AS locked
    FROM (SELECT DISTINCT hashtext(recipient) AS id FROM unnest($2::text[]) AS recipient ORDER BY id) AS ids`;

const PRUNE = `WITH pruned AS (DELETE FROM recipient_quota_units WHERE taken_at <= statement_timestamp() - $1 * interval '1 millisecond' RETURNING 1)
  SELECT count(*)::int AS n FROM pruned`;

/** The per-recipient cap in PostgreSQL (a server or PGlite): every notifier on the database takes from the same units. */
export class PgRecipientQuota implements RecipientQuota {
  private readonly batcher: StatementBatcher<QuotaTake, boolean>;

  constructor(
    private readonly database: SqlDatabase,
    readonly perHour: number,
  ) {
    // A recipient's takes go one after the other: each counts what the previous one took.
    this.batcher = new StatementBatcher({ streamOf: (take) => take.recipient, maxInFlight: 1, run: (takes) => this.takeBatch(takes) });
  }

  async take(recipient: string, unit: string): Promise<boolean> {
    // Stored and locked as a hash: the table holds no address.
    const key = createHash('sha256').update(recipient).digest('base64url');
    try {
      return await this.batcher.run({ recipient: key, unit });
    } catch (error) {
      throw translate(error);
    }
  }

  /** One transaction for the batch: the recipients' locks, then the take. */
  private async takeBatch(takes: readonly QuotaTake[]): Promise<boolean[]> {
    const client = await this.database.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      await client.query(LOCK_BATCH, [QUOTA_LOCK_CLASS, takes.map((take) => take.recipient)], { name: 'quota_lock_batch' });
      const { rows } = await client.query<{ allowed: boolean }>(
        TAKE_BATCH,
        [takes.map((take) => take.recipient), takes.map((take) => take.unit), this.perHour, QUOTA_WINDOW_MS],
        { name: 'quota_take_batch' },
      );
      await client.query('COMMIT');
      return rows.map((row) => row.allowed === true);
    } catch (error) {
      broken = isConnectionFailure(error);
      if (!broken) await client.query('ROLLBACK').catch(() => (broken = true));
      throw error;
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
