import { EventEmitter, once } from 'node:events';
import pg from 'pg';
import type { Logger } from '../../application/ports/logger.js';
import type { Outbox, OutboxBacklog, PendingEvent } from '../../application/ports/outbox.js';
import { translate } from './pg-errors.js';

export const OUTBOX_CHANNEL = 'ordermail_outbox';

interface OutboxRow {
  id: string;
  topic: string;
  key: string;
  payload: object;
  headers: Record<string, string>;
  created_at: Date;
  attempts: number;
}

export class PgOutbox implements Outbox {
  private readonly wakeups = new EventEmitter();
  private listener?: pg.Client;
  private connectingListener?: Promise<void>;
  private closed = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly connectionString: string,
    private readonly logger: Logger,
  ) {}

  async relay(limit: number, publish: (events: readonly PendingEvent[]) => Promise<void>): Promise<number> {
    const client = await this.pool.connect().catch((error: unknown) => {
      throw translate(error);
    });
    let broken = false;
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
      await publish(
        rows.map((row) => ({
          id: row.id,
          topic: row.topic,
          key: row.key,
          payload: row.payload,
          headers: row.headers,
          createdAt: row.created_at,
          attempts: row.attempts,
        })),
      );
      await client.query('UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])', [rows.map((r) => r.id)]);
      await client.query('COMMIT');
      return rows.length;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw translate(error);
    } finally {
      client.release(broken);
    }
  }

  async backlog(): Promise<OutboxBacklog> {
    try {
      const { rows } = await this.pool.query<{ count: string; oldest: Date | null }>(
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
    const listener = this.listener;
    this.listener = undefined;
    await listener?.end().catch(() => undefined);
  }

  private ensureListener(): void {
    if (this.listener || this.connectingListener || this.closed) return;
    const client = new pg.Client({ connectionString: this.connectionString, connectionTimeoutMillis: 2000 });
    const drop = (error?: unknown): void => {
      if (this.listener === client) this.listener = undefined;
      if (error) this.logger.debug('outbox listener lost, polling until it reconnects', { error: String(error) });
      void client.end().catch(() => undefined);
    };
    client.on('error', drop);
    client.on('end', () => drop());
    client.on('notification', () => this.wakeups.emit('notify'));
    this.connectingListener = client
      .connect()
      .then(() => client.query(`LISTEN ${OUTBOX_CHANNEL}`))
      .then(() => {
        if (this.closed) drop();
        else this.listener = client;
      })
      .catch(drop)
      .finally(() => {
        this.connectingListener = undefined;
      });
  }
}
