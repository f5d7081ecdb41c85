import type { SqlDatabase } from './sql-database.js';
import { OrderDuplicateError } from '../../domain/errors.js';
import { Order } from '../../domain/order.js';
import type { OrderRepository } from '../../application/ports/order-repository.js';
import type { OutboxEvent } from '../../application/ports/outbox.js';
import { translate, UNIQUE_VIOLATION } from './pg-errors.js';
import { OUTBOX_CHANNEL } from './pg-outbox.js';

interface OrderRow {
  internal_id: string;
  order_id: string;
  item_ids: string[];
  email: string | null;
  created_at: Date;
}

export class PgOrderRepository implements OrderRepository {
  constructor(private readonly database: SqlDatabase) {}

  async add(order: Order, events: readonly OutboxEvent[]): Promise<void> {
    // One statement is one transaction: the order and its events are stored together or not at all,
    // and the NOTIFY is delivered only when it commits.
    const sql = `
      WITH new_order AS (
        INSERT INTO orders (internal_id, order_id, item_ids, email, created_at) VALUES ($1, $2, $3, $4, $5)
      ), new_events AS (
        INSERT INTO outbox (topic, key, payload, headers)
        SELECT e.topic, e.key, e.payload, e.headers FROM jsonb_to_recordset($6::jsonb) AS e(topic text, key text, payload jsonb, headers jsonb)
      )
      SELECT pg_notify('${OUTBOX_CHANNEL}', '')`;
    try {
      await this.database.query(sql, [
        order.internalId,
        order.orderId,
        order.itemIds,
        order.email ?? null,
        order.createdAt,
        JSON.stringify(events),
      ]);
    } catch (error) {
      if ((error as { code?: string }).code === UNIQUE_VIOLATION && (error as { constraint?: string }).constraint === 'orders_order_id_key')
        throw new OrderDuplicateError(order.orderId);
      throw translate(error);
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
