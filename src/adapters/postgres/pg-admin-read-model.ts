import { NOTIFICATION_KINDS, isNotificationFailureKind, type NotificationChannel, type NotificationKind, type NotificationStatus } from '../../domain/notification.js';
import type { OrderStatus } from '../../domain/order-status.js';
import type { Activity, AdminReadModel, DeadLetterSummary, KindActivity, NotificationFilter, NotificationSummary } from '../../application/ports/admin-read-model.js';
import { translate } from './pg-errors.js';
import type { SqlDatabase } from './sql-database.js';

interface NotificationRow {
  order_id: string;
  kind: NotificationKind;
  channel: NotificationChannel;
  endpoint_id: string;
  status: NotificationStatus;
  attempts: number;
  last_error: string | null;
  failure_kind: string | null;
  sent_at: Date | null;
  next_attempt_at: Date | null;
  message_id: string | null;
  provider: string | null;
  created_at: Date;
  order_status: OrderStatus | null;
}

/**
 * The admin page's queries; each is bounded and served by an index (migrations 3 and 17). A channel filter reads
 * the same index as no filter and skips the other channel's rows: an order has one email per kind and one
 * delivery per endpoint, so at most WEBHOOK_ENDPOINTS_MAX rows are skipped for one kept.
 */
export class PgAdminReadModel implements AdminReadModel {
  constructor(private readonly database: SqlDatabase) {}

  async recentNotifications(filter: NotificationFilter, limit: number): Promise<NotificationSummary[]> {
    // Built from the filter, not `$1 IS NULL OR ...`, so that each shape has a plan that uses its index.
    const params: unknown[] = [];
    const where: string[] = [];
    if (filter.status !== undefined) where.push(`n.status = $${params.push(filter.status)}`);
    if (filter.kind !== undefined) where.push(`n.kind = $${params.push(filter.kind)}`);
    if (filter.channel !== undefined) where.push(`n.channel = $${params.push(filter.channel)}`);
    const rows = await this.query<NotificationRow>(
      `SELECT n.order_id, n.kind, n.channel, n.endpoint_id, n.status, n.attempts, n.last_error, n.failure_kind, n.sent_at, n.next_attempt_at,
              n.message_id, n.provider, n.created_at, o.status AS order_status
         FROM notifications n LEFT JOIN orders o ON o.order_id = n.order_id
        ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY n.created_at DESC, n.seq DESC LIMIT $${params.push(limit)}`,
      params,
    );
    return rows.map((r) => ({
      orderId: r.order_id,
      kind: r.kind,
      channel: r.channel,
      ...endpointOf(r),
      status: r.status,
      attempts: r.attempts,
      createdAt: r.created_at,
      ...(r.last_error ? { lastError: r.last_error, failureKind: isNotificationFailureKind(r.failure_kind) ? r.failure_kind : 'unknown' } : {}),
      ...(r.sent_at ? { sentAt: r.sent_at } : {}),
      ...(r.next_attempt_at && r.status === 'failed' ? { nextAttemptAt: r.next_attempt_at } : {}),
      ...(r.message_id ? { messageId: r.message_id } : {}),
      ...(r.provider ? { provider: r.provider } : {}),
      ...(r.order_status ? { orderStatus: r.order_status } : {}),
    }));
  }

  async deadLetters(limit: number): Promise<DeadLetterSummary[]> {
    const rows = await this.query<{
      order_id: string;
      kind: NotificationKind;
      channel: NotificationChannel;
      endpoint_id: string;
      attempts: number;
      last_error: string | null;
      failure_kind: string | null;
      last_failed_at: Date | null;
    }>(
      `SELECT order_id, kind, channel, endpoint_id, attempts, last_error, failure_kind, last_failed_at FROM notifications
        WHERE status = 'dead' ORDER BY last_failed_at DESC LIMIT $1`,
      [limit],
    );
    return rows.map((r) => ({
      orderId: r.order_id,
      kind: r.kind,
      channel: r.channel,
      ...endpointOf(r),
      attempts: r.attempts,
      ...(r.last_error ? { lastError: r.last_error, failureKind: isNotificationFailureKind(r.failure_kind) ? r.failure_kind : 'unknown' } : {}),
      ...(r.last_failed_at ? { failedAt: r.last_failed_at } : {}),
    }));
  }

  async activity(): Promise<Activity> {
    const [row] = await this.query<{ orders: string | number; backlog: string | number; parked: string | number }>(
      `SELECT (SELECT count(*) FROM orders WHERE created_at > now() - interval '1 minute') AS orders,
              (SELECT count(*) FROM outbox WHERE published_at IS NULL AND parked_at IS NULL) AS backlog,
              (SELECT count(*) FROM outbox WHERE published_at IS NULL AND parked_at IS NOT NULL) AS parked`,
      [],
    );
    // Each half reads one partial index of migration 3: the last minute's sent rows, and the dead ones.
    const counts = await this.query<{ kind: string; channel: string; sent: string | number; dead: string | number }>(
      `SELECT kind, channel, sum(sent) AS sent, sum(dead) AS dead FROM (
         SELECT kind, channel, count(*) AS sent, 0 AS dead FROM notifications WHERE status = 'sent' AND sent_at > now() - interval '1 minute' GROUP BY kind, channel
         UNION ALL
         SELECT kind, channel, 0, count(*) FROM notifications WHERE status = 'dead' GROUP BY kind, channel
       ) c GROUP BY kind, channel`,
      [],
    );
    const sum = (rows: typeof counts, field: 'sent' | 'dead'): number => rows.reduce((total, c) => total + Number(c[field]), 0);
    const byKind: KindActivity[] = NOTIFICATION_KINDS.map((kind) => {
      const found = counts.filter((c) => c.kind === kind);
      return { kind, sentLastMinute: sum(found, 'sent'), dead: sum(found, 'dead') };
    });
    return {
      ordersLastMinute: Number(row?.orders ?? 0),
      // Of kinds this version does not know too.
      emailsLastMinute: sum(counts.filter((c) => c.channel === 'email'), 'sent'),
      webhooksLastMinute: sum(counts.filter((c) => c.channel === 'webhook'), 'sent'),
      outboxBacklog: Number(row?.backlog ?? 0),
      outboxParked: Number(row?.parked ?? 0),
      byKind,
    };
  }

  private async query<R extends object>(sql: string, params: unknown[]): Promise<R[]> {
    try {
      return (await this.database.query<R>(sql, params)).rows;
    } catch (error) {
      throw translate(error);
    }
  }
}

/** '' is no endpoint (an email). */
const endpointOf = (row: { endpoint_id: string }): { endpointId?: string } => (row.endpoint_id === '' ? {} : { endpointId: row.endpoint_id });
