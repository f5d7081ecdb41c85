import type { SqlDatabase } from './sql-database.js';
import { OrderDuplicateError } from '../../domain/errors.js';
import { Order } from '../../domain/order.js';
import type { OrderRepository } from '../../application/ports/order-repository.js';
import type { DomainEvent } from '../../domain/domain-event.js';
import { serialisePayload, type EventMetadata } from '../../application/ports/outbox.js';
import { DependencyUnavailableError } from '../../application/errors.js';
import { sleep } from '../../application/sleep.js';
import { isConnectionFailure, translate, UNIQUE_VIOLATION, writeOutcome } from './pg-errors.js';
import { OUTBOX_CHANNEL } from './pg-outbox.js';

interface OrderRow {
  internal_id: string;
  order_id: string;
  item_ids: string[];
  email: string | null;
  created_at: Date;
}

/** How long a request waits for the database to come back when a lost connection left its write in doubt. */
const IN_DOUBT_PATIENCE_MS = 3000;

export class PgOrderRepository implements OrderRepository {
  constructor(
    private readonly database: SqlDatabase,
    /**
     * Until the envelope columns are dropped: the topic a relay of the previous version (still running during a
     * rolling deploy) publishes a new row to. That relay reads `topic` and `headers`, so they are filled as it wrote them.
     */
    private readonly legacyTopic = 'order-created',
  ) {}

  async add(order: Order, events: readonly DomainEvent[], metadata: EventMetadata): Promise<void> {
    const rows = events.map((event) => ({ type: event.type, version: event.version, key: event.aggregateId, payload: serialisePayload(event) }));
    // One statement is one transaction: the order and its events are stored together or not at all,
    // and the NOTIFY is delivered only when it commits.
    const sql = `
      WITH new_order AS (
        INSERT INTO orders (internal_id, order_id, item_ids, email, created_at) VALUES ($1, $2, $3, $4, $5)
      ), new_events AS (
        INSERT INTO outbox (type, version, key, payload, metadata, topic, headers)
        SELECT e.type, e.version, e.key, e.payload::jsonb, $7::jsonb, $8,
               jsonb_strip_nulls(jsonb_build_object('schema-version', e.version::text, 'content-type', 'application/json', 'correlation-id', $7::jsonb->>'correlationId'))
          FROM jsonb_to_recordset($6::jsonb) AS e(type text, version integer, key text, payload text)
      )
      SELECT pg_notify('${OUTBOX_CHANNEL}', '')`;
    // A connection of its own first: failing to get one means nothing was sent, so nothing is in doubt.
    const client = await this.database.connect().catch((error: unknown) => {
      throw translate(error);
    });
    let failure: unknown;
    try {
      await client.query(sql, [order.internalId, order.orderId, order.itemIds, order.email ?? null, order.createdAt, JSON.stringify(rows), JSON.stringify(metadata), this.legacyTopic]);
    } catch (error) {
      failure = error ?? new Error('query failed');
    } finally {
      client.release(failure !== undefined && isConnectionFailure(failure));
    }
    if (failure === undefined) return;
    const { code, constraint } = failure as { code?: string; constraint?: string };
    if (code === UNIQUE_VIOLATION && constraint === 'orders_order_id_key') throw new OrderDuplicateError(order.orderId);
    if (!isConnectionFailure(failure)) throw translate(failure);
    const outcome = writeOutcome(failure);
    if (outcome === 'not-written') throw translate(failure);
    if (outcome === 'timeout') throw new DependencyUnavailableError('postgres', { cause: failure, outcomeUnknown: true });
    await this.settleInDoubt(order, failure);
  }

  /**
   * The connection died after the statement left: it may have committed (a restart that lost only the
   * acknowledgement). Once the database answers again, its own row tells: ours (same internal id) means
   * stored; none means not stored. A database still away after the patience leaves the outcome unknown.
   */
  private async settleInDoubt(order: Order, failure: unknown): Promise<void> {
    const deadline = Date.now() + IN_DOUBT_PATIENCE_MS;
    for (;;) {
      let stored: Order | null;
      try {
        stored = await this.findByOrderId(order.orderId);
      } catch (error) {
        if (!(error instanceof DependencyUnavailableError) || Date.now() >= deadline)
          throw new DependencyUnavailableError('postgres', { cause: failure, outcomeUnknown: true });
        await sleep(250);
        continue;
      }
      if (stored?.internalId === order.internalId) return;
      if (stored) throw new OrderDuplicateError(order.orderId);
      throw new DependencyUnavailableError('postgres', { cause: failure });
    }
  }

  async findByOrderId(orderId: string): Promise<Order | null> {
    try {
      const { rows } = await this.database.query<OrderRow>(
        'SELECT internal_id, order_id, item_ids, email, created_at FROM orders WHERE order_id = $1',
        [orderId],
      );
      const row = rows[0];
      if (!row) return null;
      return Order.restore({
        internalId: row.internal_id,
        orderId: row.order_id,
        itemIds: row.item_ids,
        ...(row.email === null ? {} : { email: row.email }),
        createdAt: row.created_at,
      });
    } catch (error) {
      throw translate(error);
    }
  }
}
