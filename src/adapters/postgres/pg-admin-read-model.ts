import type { NotificationStatus } from '../../domain/notification.js';
import type { Activity, AdminReadModel, DeadLetterSummary, OrderSummary } from '../../application/ports/admin-read-model.js';
import { translate } from './pg-errors.js';
import type { SqlDatabase } from './sql-database.js';

export class PgAdminReadModel implements AdminReadModel {
  constructor(private readonly database: SqlDatabase) {}

  async recentOrders(limit: number): Promise<OrderSummary[]> {
    const rows = await this.query<{
      order_id: string;
      internal_id: string;
      email: string | null;
      items: number;
      created_at: Date;
      status: NotificationStatus;
      attempts: number;
      last_error: string | null;
      sent_at: Date | null;
    }>(
      `SELECT o.order_id, o.internal_id, o.email, cardinality(o.item_ids) AS items, o.created_at,
              coalesce(n.status, 'pending') AS status, coalesce(n.attempts, 0) AS attempts, n.last_error, n.sent_at
         FROM orders o LEFT JOIN notifications n ON n.order_id = o.order_id AND n.kind = 'order-created' AND n.channel = 'email'
        ORDER BY o.created_at DESC LIMIT $1`,
      [limit],
    );
    return rows.map((r) => ({
      orderId: r.order_id,
      internalId: r.internal_id,
      items: Number(r.items),
      createdAt: r.created_at,
      status: r.status,
      attempts: r.attempts,
      ...(r.email ? { email: r.email } : {}),
      ...(r.last_error ? { lastError: r.last_error } : {}),
      ...(r.sent_at ? { sentAt: r.sent_at } : {}),
    }));
  }

  async deadLetters(limit: number): Promise<DeadLetterSummary[]> {
    const rows = await this.query<{ order_id: string; attempts: number; last_error: string | null; last_failed_at: Date | null }>(
      `SELECT order_id, attempts, last_error, last_failed_at FROM notifications WHERE status = 'dead' ORDER BY last_failed_at DESC LIMIT $1`,
      [limit],
    );
    return rows.map((r) => ({
      orderId: r.order_id,
      attempts: r.attempts,
      ...(r.last_error ? { lastError: r.last_error } : {}),
      ...(r.last_failed_at ? { failedAt: r.last_failed_at } : {}),
    }));
  }

  async activity(): Promise<Activity> {
    const [row] = await this.query<{ orders: string | number; emails: string | number; backlog: string | number; parked: string | number }>(
      `SELECT (SELECT count(*) FROM orders WHERE created_at > now() - interval '1 minute') AS orders,
              (SELECT count(*) FROM notifications WHERE status = 'sent' AND sent_at > now() - interval '1 minute') AS emails,
              (SELECT count(*) FROM outbox WHERE published_at IS NULL AND parked_at IS NULL) AS backlog,
              (SELECT count(*) FROM outbox WHERE published_at IS NULL AND parked_at IS NOT NULL) AS parked`,
      [],
    );
    return { ordersLastMinute: Number(row?.orders ?? 0), emailsLastMinute: Number(row?.emails ?? 0), outboxBacklog: Number(row?.backlog ?? 0), outboxParked: Number(row?.parked ?? 0) };
  }

  private async query<R extends object>(sql: string, params: unknown[]): Promise<R[]> {
    try {
      return (await this.database.query<R>(sql, params)).rows;
    } catch (error) {
      throw translate(error);
    }
  }
}
