import { EventEmitter, once } from 'node:events';
import type { Logger } from '../../application/ports/logger.js';
import type { Outbox, OutboxBacklog, PendingEvent } from '../../application/ports/outbox.js';
import { translate } from './pg-errors.js';
import type { SqlDatabase } from './sql-database.js';

export const OUTBOX_CHANNEL = 'ordermail_outbox';

interface OutboxRow {
  id: string | number;
  topic: string;
  key: string;
  payload: object;
  headers: Record<string, string>;
  created_at: Date;
  attempts: number;
}

export class PgOutbox implements Outbox {
  private readonly wakeups = new EventEmitter();
  private unlisten?: () => Promise<void>;
  private connectingListener?: Promise<void>;
  private closed = false;

  constructor(
    private readonly database: SqlDatabase,
    private readonly logger: Logger,
  ) {}

  async relay(limit: number, publish: (events: readonly PendingEvent[]) => Promise<void>): Promise<number> {
    const client = await this.database.connect().catch((error: unknown) => {
      throw translate(error);
    });
    let broken = false;
    let claimed: string[] = [];
    try {
      await client.query('BEGIN');
      // SKIP LOCKED: concurrent relays claim disjoint batches; the row locks end with the transaction,
      // so a relay that dies mid-publish hands its batch back.
      const { rows } = await client.query<OutboxRow>(
        `UPDATE outbox SET attempts = attempts + 1
          WHERE id IN (SELECT id FROM outbox WHERE published_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
          RETURNING id, topic, key, payload, headers, created_at, attempts`,
        [limit],
      );
      if (rows.length === 0) {
        await client.query('COMMIT');
        return 0;
      }
      rows.sort((a, b) => Number(a.id) - Number(b.id));
      claimed = rows.map((row) => String(row.id));
      await publish(
        rows.map((row) => ({
          id: String(row.id),
          topic: row.topic,
          key: row.key,
          payload: row.payload,
          headers: row.headers,
          createdAt: row.created_at,
          attempts: row.attempts,
        })),
      );
      await client.query('UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])', [rows.map((r) => String(r.id))]);
      await client.query('COMMIT');
      return rows.length;
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
      const { rows } = await this.database.query<{ count: string | number; oldest: Date | null }>(
        'SELECT count(*) AS count, min(created_at) AS oldest FROM outbox WHERE published_at IS NULL',
      );
      const row = rows[0];
      return { count: Number(row?.count ?? 0), ...(row?.oldest ? { oldestCreatedAt: row.oldest } : {}) };
    } catch (error) {
      throw translate(error);
    }
  }

  /** Wakes on LISTEN/NOTIFY, and after the timeout anyway: a NOTIFY can be missed while reconnecting. */
  async waitForEvents(timeoutMs: number, signal: AbortSignal): Promise<void> {
    this.ensureListener();
    const deadline = AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
    await once(this.wakeups, 'notify', { signal: deadline }).catch(() => undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wakeups.emit('notify');
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
        () => this.wakeups.emit('notify'),
        (error) => {
          this.unlisten = undefined;
          this.logger.debug('outbox listener lost, polling until it reconnects', { error: String(error) });
        },
      )
      .then(async (unlisten) => {
        if (this.closed) await unlisten();
        else this.unlisten = unlisten;
      })
      .catch((error: unknown) => this.logger.debug('outbox listener not available, polling', { error: String(error) }))
      .finally(() => {
        this.connectingListener = undefined;
      });
  }
}
