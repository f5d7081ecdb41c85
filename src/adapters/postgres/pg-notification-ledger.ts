import type { SqlDatabase } from './sql-database.js';
import { isNotificationFailureKind, type NotificationFailure, type NotificationState, type NotificationStatus } from '../../domain/notification.js';
import type { OrderCreated } from '../../domain/order-created.js';
import type { Claim, EventSource, NotificationJob, NotificationLedger, RetryPlan } from '../../application/ports/notification-ledger.js';
import { translate } from './pg-errors.js';

interface JobRow {
  event: OrderCreated;
  correlation_id: string | null;
  source_topic: string | null;
  source_partition: number | null;
  source_offset: string | null;
  attempts: number;
  unknown_outcomes: number;
  first_failed_at: Date | null;
}

interface StateRow {
  status: NotificationStatus;
  attempts: number;
  last_error: string | null;
  failure_kind: string | null;
  sent_at: Date | null;
  message_id: string | null;
}

const JOB_COLUMNS = 'event, correlation_id, source_topic, source_partition, source_offset, attempts, unknown_outcomes, first_failed_at';
const RELEASE_LEASE = 'lease_owner = NULL, lease_until = NULL, updated_at = now()';

/** The notification ledger in PostgreSQL: one row per order, claimed under a lease. */
export class PgNotificationLedger implements NotificationLedger {
  constructor(private readonly database: SqlDatabase) {}

  async stateOf(orderId: string): Promise<NotificationState | null> {
    const rows = await this.query<StateRow>('SELECT status, attempts, last_error, failure_kind, sent_at, message_id FROM notifications WHERE order_id = $1', [orderId]);
    return rows[0] ? toState(rows[0]) : null;
  }

  async claim(event: OrderCreated, context: { correlationId?: string; source?: EventSource }, owner: string, leaseMs: number): Promise<Claim> {
    const rows = await this.query<JobRow>(
      `INSERT INTO notifications (order_id, internal_id, event, correlation_id, source_topic, source_partition, source_offset, status, lease_owner, lease_until)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'sending', $8, now() + $9 * interval '1 millisecond')
       ON CONFLICT (order_id) DO UPDATE SET status = 'sending', lease_owner = EXCLUDED.lease_owner, lease_until = EXCLUDED.lease_until, updated_at = now()
         WHERE (notifications.status = 'sending' AND notifications.lease_until < now())
            OR (notifications.status = 'failed' AND notifications.next_attempt_at <= now())
       RETURNING ${JOB_COLUMNS}`,
      [
        event.orderId,
        event.id,
        JSON.stringify(event),
        context.correlationId ?? null,
        context.source?.topic ?? null,
        context.source?.partition ?? null,
        context.source?.offset ?? null,
        owner,
        leaseMs,
      ],
    );
    if (rows[0]) return { claimed: true, job: toJob(rows[0]) };
    const state = await this.stateOf(event.orderId);
    // Only possible if the row vanished between the two statements; report it as being handled.
    return { claimed: false, state: state ?? { status: 'sending', attempts: 0 } };
  }

  async claimDue(limit: number, owner: string, leaseMs: number): Promise<NotificationJob[]> {
    const rows = await this.query<JobRow>(
      `UPDATE notifications SET status = 'sending', lease_owner = $1, lease_until = now() + $2 * interval '1 millisecond', updated_at = now()
        WHERE order_id IN (
          SELECT order_id FROM notifications
           WHERE (status = 'failed' AND next_attempt_at <= now()) OR (status = 'sending' AND lease_until < now())
           ORDER BY coalesce(next_attempt_at, lease_until) LIMIT $3 FOR UPDATE SKIP LOCKED)
        RETURNING ${JOB_COLUMNS}`,
      [owner, leaseMs, limit],
    );
    return rows.map(toJob);
  }

  async renew(orderIds: readonly string[], owner: string, leaseMs: number): Promise<void> {
    if (orderIds.length === 0) return;
    await this.query(
      `UPDATE notifications SET lease_until = now() + $3 * interval '1 millisecond'
        WHERE order_id = ANY($1::text[]) AND status = 'sending' AND lease_owner = $2`,
      [orderIds, owner, leaseMs],
    );
  }

  async markSent(orderId: string, _owner: string, messageId: string): Promise<void> {
    // Recorded whoever holds the lease now: the email did go out.
    await this.query(
      `UPDATE notifications SET status = 'sent', message_id = $2, sent_at = now(), last_error = NULL, failure_kind = NULL, next_attempt_at = NULL, ${RELEASE_LEASE}
        WHERE order_id = $1 AND status <> 'sent'`,
      [orderId, messageId],
    );
  }

  async recordUnknownOutcome(orderId: string): Promise<void> {
    await this.query('UPDATE notifications SET unknown_outcomes = unknown_outcomes + 1, updated_at = now() WHERE order_id = $1', [orderId]);
  }

  async markSkipped(orderId: string, owner: string, reason: NotificationFailure): Promise<void> {
    await this.query(`UPDATE notifications SET status = 'skipped', last_error = $3, failure_kind = $4, ${RELEASE_LEASE} WHERE order_id = $1 AND lease_owner = $2`, [
      orderId,
      owner,
      reason.error,
      reason.kind,
    ]);
  }

  async scheduleRetry(orderId: string, owner: string, plan: RetryPlan): Promise<void> {
    await this.query(
      `UPDATE notifications SET status = 'failed', attempts = $3, last_error = $4, failure_kind = $6, next_attempt_at = $5,
              first_failed_at = coalesce(first_failed_at, now()), last_failed_at = now(), ${RELEASE_LEASE}
        WHERE order_id = $1 AND lease_owner = $2`,
      [orderId, owner, plan.attempts, plan.error, plan.dueAt, plan.kind],
    );
  }

  async release(orderId: string, owner: string, dueAt: Date, reason: NotificationFailure): Promise<void> {
    await this.query(
      `UPDATE notifications SET status = 'failed', next_attempt_at = $3, last_error = $4, failure_kind = $5, ${RELEASE_LEASE} WHERE order_id = $1 AND lease_owner = $2`,
      [orderId, owner, dueAt, reason.error, reason.kind],
    );
  }

  async markDead(orderId: string, owner: string, failure: NotificationFailure & { attempts: number }): Promise<void> {
    await this.query(
      `UPDATE notifications SET status = 'dead', attempts = $3, last_error = $4, failure_kind = $5, next_attempt_at = NULL,
              first_failed_at = coalesce(first_failed_at, now()), last_failed_at = now(), ${RELEASE_LEASE}
        WHERE order_id = $1 AND lease_owner = $2`,
      [orderId, owner, failure.attempts, failure.error, failure.kind],
    );
  }

  async resetDead(orderId: string): Promise<boolean> {
    const rows = await this.query(
      `UPDATE notifications SET status = 'failed', attempts = 0, unknown_outcomes = 0, first_failed_at = NULL, next_attempt_at = now(), ${RELEASE_LEASE}
        WHERE order_id = $1 AND status = 'dead' RETURNING order_id`,
      [orderId],
    );
    return rows.length > 0;
  }

  private async query<R extends object>(sql: string, params: unknown[]): Promise<R[]> {
    try {
      return (await this.database.query<R>(sql, params)).rows;
    } catch (error) {
      throw translate(error);
    }
  }
}

function toJob(row: JobRow): NotificationJob {
  return {
    event: row.event,
    attempts: row.attempts,
    unknownOutcomes: row.unknown_outcomes,
    ...(row.correlation_id ? { correlationId: row.correlation_id } : {}),
    ...(row.source_topic !== null && row.source_partition !== null && row.source_offset !== null
      ? { source: { topic: row.source_topic, partition: row.source_partition, offset: row.source_offset } }
      : {}),
    ...(row.first_failed_at ? { firstFailedAt: row.first_failed_at } : {}),
  };
}

function toState(row: StateRow): NotificationState {
  return {
    status: row.status,
    attempts: row.attempts,
    // A row written before migration 8, or by a newer version with a kind this one does not know: 'unknown'.
    ...(row.last_error ? { lastError: row.last_error, failureKind: isNotificationFailureKind(row.failure_kind) ? row.failure_kind : 'unknown' } : {}),
    ...(row.sent_at ? { sentAt: row.sent_at } : {}),
    ...(row.message_id ? { messageId: row.message_id } : {}),
  };
}
