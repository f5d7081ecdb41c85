import { Doorbell } from '../../application/doorbell.js';
import type { RejectedEvent } from '../../application/ports/event-publisher.js';
import type { Logger } from '../../application/ports/logger.js';
import type { EventMetadata, Outbox, OutboxBacklog, PendingEvent, RelayedBatch } from '../../application/ports/outbox.js';
import { translate } from './pg-errors.js';
import type { SqlDatabase } from './sql-database.js';

export const OUTBOX_CHANNEL = 'ordermail_outbox';

interface OutboxRow {
  id: string | number;
  type: string;
  version: number;
  key: string;
  payload: object;
  metadata: EventMetadata;
  created_at: Date;
  attempts: number;
}

export class PgOutbox implements Outbox {
  private readonly doorbell = new Doorbell();
  private unlisten?: () => Promise<void>;
  private connectingListener?: Promise<void>;
  private closed = false;

  constructor(
    private readonly database: SqlDatabase,
    private readonly logger: Logger,
  ) {}

  async relay(limit: number, publish: (events: readonly PendingEvent[]) => Promise<readonly RejectedEvent<PendingEvent>[]>): Promise<RelayedBatch> {
    const client = await this.database.connect().catch((error: unknown) => {
      throw translate(error);
    });
    let broken = false;
    let claimed: string[] = [];
    try {
      await client.query('BEGIN');
      // SKIP LOCKED: concurrent relays claim disjoint batches; the row locks end with the transaction,
      // so a relay that dies mid-publish hands its batch back. An event is taken only when no earlier event
      // of its key waits (being published by another relay counts as waiting): two relays never publish
      // one order's events out of order. An order's events commit in id order (a status change needs the
      // committed order), so the earlier one is always seen.
      const { rows } = await client.query<OutboxRow>(
        `UPDATE outbox SET attempts = attempts + 1
          WHERE id IN (
            SELECT id FROM outbox o
             WHERE published_at IS NULL AND parked_at IS NULL
               AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.key = o.key AND p.id < o.id AND p.published_at IS NULL AND p.parked_at IS NULL)
             ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
          RETURNING id, type, version, key, payload, metadata, created_at, attempts`,
        [limit],
        { name: 'outbox_claim' },
      );
      if (rows.length === 0) {
        await client.query('COMMIT');
        return { published: 0, parked: [] };
      }
      rows.sort((a, b) => Number(a.id) - Number(b.id));
      claimed = rows.map((row) => String(row.id));
      const parked = await publish(
        rows.map((row) => ({
          id: String(row.id),
          event: { type: row.type, version: row.version, aggregateId: row.key, payload: row.payload },
          metadata: row.metadata,
          createdAt: row.created_at,
          attempts: row.attempts,
        })),
      );
      const parkedIds = new Set(parked.map((p) => p.event.id));
      await client.query('UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])', [claimed.filter((id) => !parkedIds.has(id))], { name: 'outbox_published' });
      if (parked.length > 0)
        await client.query(
          `UPDATE outbox SET parked_at = now(), parked_reason = p.reason
             FROM unnest($1::bigint[], $2::text[]) AS p(id, reason) WHERE outbox.id = p.id`,
          [parked.map((p) => p.event.id), parked.map((p) => p.reason)],
        );
      await client.query('COMMIT');
      return { published: rows.length - parked.length, parked };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      // The rollback undid the claim's count too: record the failed try, if the database is there to take it.
      if (!broken && claimed.length > 0)
        await client.query('UPDATE outbox SET attempts = attempts + 1 WHERE id = ANY($1::bigint[])', [claimed]).catch(() => undefined);
      throw translate(error);
    } finally {
      client.release(broken);
    }
  }

  async backlog(): Promise<OutboxBacklog> {
    try {
      const { rows } = await this.database.query<{ count: string | number; oldest: Date | null; parked: string | number }>(
        `SELECT count(*) AS count, min(created_at) AS oldest,
                (SELECT count(*) FROM outbox WHERE parked_at IS NOT NULL AND published_at IS NULL) AS parked
           FROM outbox WHERE published_at IS NULL AND parked_at IS NULL`,
      );
      const row = rows[0];
      return { count: Number(row?.count ?? 0), ...(row?.oldest ? { oldestCreatedAt: row.oldest } : {}), parked: Number(row?.parked ?? 0) };
    } catch (error) {
      throw translate(error);
    }
  }

  /**
   * Wakes on LISTEN/NOTIFY (one that came while the relay was busy included), when the listener is lost or
   * (re)connected (NOTIFYs may have been missed meanwhile), and after the timeout anyway.
   */
  async waitForEvents(timeoutMs: number, signal: AbortSignal): Promise<void> {
    this.ensureListener();
    await this.doorbell.wait(timeoutMs, signal);
  }

  async prune(before: Date, limit: number): Promise<number> {
    try {
      const { rows } = await this.database.query<{ id: unknown }>(
        `DELETE FROM outbox WHERE id IN (
           SELECT id FROM outbox WHERE published_at IS NOT NULL AND published_at < $1 ORDER BY id LIMIT $2)
         RETURNING id`,
        [before, limit],
      );
      return rows.length;
    } catch (error) {
      throw translate(error);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.doorbell.ring();
    await this.connectingListener;
    const unlisten = this.unlisten;
    this.unlisten = undefined;
    await unlisten?.();
  }

  private ensureListener(): void {
    if (this.unlisten || this.connectingListener || this.closed) return;
    this.connectingListener = this.database
      .listen(
        OUTBOX_CHANNEL,
        () => this.doorbell.ring(),
        (error) => {
          this.unlisten = undefined;
          this.logger.debug('outbox listener lost, looking now and listening again', { error: String(error) });
          this.doorbell.ring();
        },
      )
      .then(async (unlisten) => {
        if (this.closed) await unlisten();
        else this.unlisten = unlisten;
        // What was committed while nobody listened announced itself to no one.
        this.doorbell.ring();
      })
      .catch((error: unknown) => this.logger.debug('outbox listener not available, polling', { error: String(error) }))
      .finally(() => {
        this.connectingListener = undefined;
      });
  }
}
