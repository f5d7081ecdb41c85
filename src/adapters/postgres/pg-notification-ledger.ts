import type { QueryOptions, SqlDatabase } from './sql-database.js';
import {
  isNotificationFailureKind,
  notificationId,
  UNFINISHED_STATUSES,
  type Notification,
  type NotificationChannel,
  type NotificationFailure,
  type NotificationKey,
  type NotificationKind,
  type NotificationRecord,
  type NotificationState,
  type NotificationStatus,
} from '../../domain/notification.js';
import type { Claim, EventSource, NotificationJob, NotificationLedger, RetryPlan } from '../../application/ports/notification-ledger.js';
import { translate } from './pg-errors.js';
import { StatementBatcher } from './statement-batcher.js';

interface JobRow {
  order_id: string;
  kind: NotificationKind;
  channel: NotificationChannel;
  endpoint_id: string;
  internal_id: string;
  email: string | null;
  event: object;
  event_type: string;
  event_version: number;
  occurred_at: Date | null;
  created_at: Date;
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
  provider: string | null;
}

const JOB_COLUMNS =
  'order_id, kind, channel, endpoint_id, internal_id, email, event, event_type, event_version, occurred_at, created_at, correlation_id, source_topic, source_partition, source_offset, attempts, unknown_outcomes, first_failed_at';
const STATE_COLUMNS = 'status, attempts, last_error, failure_kind, sent_at, message_id, provider';
/** What a claim reports of a row it did not take (its state), beside JOB_COLUMNS, which hold `attempts` already. */
const CLAIM_STATE_COLUMNS = 'status, last_error, failure_kind, sent_at, message_id, provider';
const RELEASE_LEASE = 'lease_owner = NULL, lease_until = NULL, updated_at = now()';
/** The key is the first four parameters of every statement that names one notification (see keyParams). */
const BY_KEY = 'order_id = $1 AND kind = $2 AND channel = $3 AND endpoint_id = $4';
/** Not finished: a later notification of the same stream waits for it (the statuses are constants, never input). */
const UNFINISHED = `(${UNFINISHED_STATUSES.map((status) => `'${status}'`).join(', ')})`;
/** Rows from before migration 11 have no arrival number; each was the first of its order. */
const ARRIVAL = 'coalesce(seq, 0)';
/** The columns of a new row, in the order of rowValues. */
const ROW_COLUMNS = 'order_id, kind, channel, endpoint_id, internal_id, email, event, event_type, event_version, occurred_at, correlation_id, source_topic, source_partition, source_offset';
/** Whether an earlier notification of n's stream (order, channel, endpoint) is unfinished: then n waits. */
const WAITS_IN_STREAM = `EXISTS (
  SELECT 1 FROM notifications e
   WHERE e.order_id = n.order_id AND e.channel = n.channel AND e.endpoint_id = n.endpoint_id
     AND coalesce(e.seq, 0) < coalesce(n.seq, 0) AND e.status IN ${UNFINISHED})`;

/** The key columns of the input rows `i`, and the same key of the table's row `n`: every batch statement joins on them. */
const INPUT_KEY = '(i.order_id, i.kind, i.channel, i.endpoint_id)';
const ROW_KEY = '(n.order_id, n.kind, n.channel, n.endpoint_id)';
/** Rows are locked in key order by every statement that writes several, so two of them never wait on each other in a circle. */
const KEY_ORDER = 'order_id, kind, channel, endpoint_id';

/*
 * A batch of claims, one per stream at most (StatementBatcher), by one owner for one lease time. Each array holds
 * one column of the claims (rowValues, then contextValues). A new notification is inserted to be sent now, or as
 * pending when an earlier one of its stream (order, channel, endpoint) is not finished. An existing one is taken
 * when its lease ran out, its retry is due, or it was pending and its turn has come. Whether it has to wait is
 * decided in the same statement. Rows the statement did not take are reported as they were (`taken` false).
 */
const CLAIM_BATCH = `
  WITH i AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::integer[], $10::text[],
                         $11::text[], $12::text[], $13::integer[], $14::text[])
      AS i(order_id, kind, channel, endpoint_id, internal_id, email, event, event_type, event_version, occurred_at,
           correlation_id, source_topic, source_partition, source_offset)
  ), decided AS (
    SELECT i.*, EXISTS (
      SELECT 1 FROM notifications e
       WHERE e.order_id = i.order_id AND e.channel = i.channel AND e.endpoint_id = i.endpoint_id AND e.kind <> i.kind AND e.status IN ${UNFINISHED}
         AND coalesce(e.seq, 0) < coalesce((SELECT ${ARRIVAL} FROM notifications s
                                             WHERE (s.order_id, s.kind, s.channel, s.endpoint_id) = ${INPUT_KEY}), 9223372036854775807)
    ) AS waits
      FROM i
  ), claimed AS (
    INSERT INTO notifications (${ROW_COLUMNS}, status, lease_owner, lease_until)
    SELECT d.order_id, d.kind, d.channel, d.endpoint_id, d.internal_id::uuid, d.email, d.event::jsonb, d.event_type, d.event_version,
           d.occurred_at::timestamptz, d.correlation_id, d.source_topic, d.source_partition, d.source_offset,
           CASE WHEN d.waits THEN 'pending' ELSE 'sending' END,
           CASE WHEN d.waits THEN NULL ELSE $15::text END,
           CASE WHEN d.waits THEN NULL ELSE now() + $16::double precision * interval '1 millisecond' END
      FROM decided d ORDER BY ${KEY_ORDER}
    ON CONFLICT (order_id, kind, channel, endpoint_id) DO UPDATE SET status = 'sending', lease_owner = $15::text, lease_until = now() + $16::double precision * interval '1 millisecond', updated_at = now()
      WHERE (notifications.status = 'sending' AND notifications.lease_until < now())
         OR (notifications.status = 'failed' AND notifications.next_attempt_at <= now())
         OR (notifications.status = 'pending' AND EXCLUDED.status = 'sending')
    RETURNING ${JOB_COLUMNS}, ${CLAIM_STATE_COLUMNS}
  )
  SELECT true AS taken, claimed.* FROM claimed
  UNION ALL
  SELECT false, ${`${JOB_COLUMNS}, ${CLAIM_STATE_COLUMNS}`.split(', ').map((column) => `n.${column}`).join(', ')}
    FROM notifications n JOIN i ON ${ROW_KEY} = ${INPUT_KEY}
   WHERE NOT EXISTS (SELECT 1 FROM claimed c WHERE (c.order_id, c.kind, c.channel, c.endpoint_id) = ${INPUT_KEY})`;

/** A batch of sent notifications, whoever holds their lease now: the emails did go out. The first record of a copy is kept. */
const MARK_SENT_BATCH = `
  WITH i AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) AS i(order_id, kind, channel, endpoint_id, message_id, provider)
  ), locked AS (
    SELECT ${KEY_ORDER} FROM notifications n WHERE ${ROW_KEY} IN (SELECT order_id, kind, channel, endpoint_id FROM i) AND n.status <> 'sent'
     ORDER BY ${KEY_ORDER} FOR UPDATE
  )
  UPDATE notifications n SET status = 'sent', message_id = i.message_id, provider = i.provider, sent_at = now(), last_error = NULL, failure_kind = NULL,
         next_attempt_at = NULL, ${RELEASE_LEASE}
    FROM i WHERE ${ROW_KEY} = ${INPUT_KEY} AND ${ROW_KEY} IN (SELECT * FROM locked) AND n.status <> 'sent'`;

/*
 * Each array holds one column of the new rows (rowValues), in arrival order, so the sequence numbers them in
 * that order; the context is the same for all. A row the ledger knows already is left as it is.
 */
const ENQUEUE = `
  INSERT INTO notifications (${ROW_COLUMNS}, status)
  SELECT n.order_id, n.kind, n.channel, n.endpoint_id, n.internal_id::uuid, n.email, n.event::jsonb, n.event_type, n.event_version,
         n.occurred_at::timestamptz, $11::text, $12::text, $13::integer, $14::text, 'pending'
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::integer[], $10::text[])
         WITH ORDINALITY AS n(order_id, kind, channel, endpoint_id, internal_id, email, event, event_type, event_version, occurred_at, arrival)
   ORDER BY n.arrival
  ON CONFLICT (order_id, kind, channel, endpoint_id) DO NOTHING`;

/** The notification ledger in PostgreSQL: one row per (order, kind, channel, endpoint), claimed under a lease. */
export class PgNotificationLedger implements NotificationLedger {
  /** One batcher per owner and lease time, the parameters a claim batch shares. */
  private readonly claimBatchers = new Map<string, StatementBatcher<ClaimRequest, ClaimRow | undefined>>();
  private readonly markSentBatcher: StatementBatcher<SentRecord, undefined>;

  constructor(private readonly database: SqlDatabase) {
    this.markSentBatcher = new StatementBatcher({
      streamOf: (record) => notificationId(record.key),
      // Sends finish one by one: with one batch in flight, those that finish meanwhile share the next statement.
      maxInFlight: 1,
      run: async (records) => {
        await this.query(MARK_SENT_BATCH, [...columnsOf(records.map((r) => [...keyParams(r.key), r.messageId, r.provider ?? null]), 6)], { name: 'ledger_mark_sent_batch' });
        return records.map(() => undefined);
      },
    });
  }

  async stateOf(key: NotificationKey): Promise<NotificationState | null> {
    const rows = await this.query<StateRow>(`SELECT ${STATE_COLUMNS} FROM notifications WHERE ${BY_KEY}`, keyParams(key));
    return rows[0] ? toState(rows[0]) : null;
  }

  async statesOf(orderId: string): Promise<NotificationRecord[]> {
    const rows = await this.query<StateRow & { kind: NotificationKind; channel: NotificationChannel; endpoint_id: string }>(
      `SELECT kind, channel, endpoint_id, ${STATE_COLUMNS} FROM notifications WHERE order_id = $1 ORDER BY ${ARRIVAL}`,
      [orderId],
    );
    return rows.map((row) => ({ kind: row.kind, channel: row.channel, ...endpointOf(row), ...toState(row) }));
  }

  async claim(notification: Notification, context: { correlationId?: string; source?: EventSource }, owner: string, leaseMs: number): Promise<Claim> {
    const row = await this.claimBatcher(owner, leaseMs).run({ notification, values: [...rowValues(notification), ...contextValues(context)] });
    if (row?.taken && row.status === 'sending') return { claimed: true, job: toJob(row) };
    if (row) return { claimed: false, state: toState(row) };
    const state = await this.stateOf(notification);
    // Only possible if the row vanished between the two statements; report it as being handled.
    return { claimed: false, state: state ?? { status: 'sending', attempts: 0 } };
  }

  private claimBatcher(owner: string, leaseMs: number): StatementBatcher<ClaimRequest, ClaimRow | undefined> {
    const id = `${owner}\u0000${leaseMs}`;
    let batcher = this.claimBatchers.get(id);
    if (!batcher) {
      batcher = new StatementBatcher({
        // A stream's notifications are claimed in the order they came: the later one sees the earlier one and waits.
        streamOf: ({ notification }) => streamOf(notification),
        // Events are at most 64 KB: a batch of the largest stays within the batcher's byte cap, not 64 of them.
        sizeOf: ({ values }) => values.reduce<number>((size, value) => size + (typeof value === 'string' ? value.length : 0), 0),
        run: async (requests) => {
          const rows = await this.query<ClaimRow>(
            CLAIM_BATCH,
            [...columnsOf(requests.map(({ values }) => values), ROW_WIDTH + 4), owner, leaseMs],
            { name: 'ledger_claim_batch' },
          );
          const byKey = new Map(rows.map((row) => [notificationId(keyOfRow(row)), row]));
          return requests.map(({ notification }) => byKey.get(notificationId(notification)));
        },
      });
      this.claimBatchers.set(id, batcher);
    }
    return batcher;
  }

  async enqueue(notifications: readonly Notification[], context: { correlationId?: string; source?: EventSource }): Promise<void> {
    if (notifications.length === 0) return;
    await this.query(ENQUEUE, [...columnsOf(notifications.map(rowValues), ROW_WIDTH), ...contextValues(context)]);
  }

  async claimDue(limit: number, owner: string, leaseMs: number, channel: NotificationChannel, skipEndpoints: readonly string[] = []): Promise<NotificationJob[]> {
    const rows = await this.query<JobRow>(
      `UPDATE notifications SET status = 'sending', lease_owner = $1, lease_until = now() + $2 * interval '1 millisecond', updated_at = now()
        WHERE (order_id, kind, channel, endpoint_id) IN (
          SELECT order_id, kind, channel, endpoint_id FROM notifications n
           WHERE n.channel = $4 AND NOT (n.endpoint_id = ANY ($5::text[]))
             AND ((status = 'failed' AND next_attempt_at <= now()) OR (status = 'sending' AND lease_until < now())
                  OR (status = 'pending' AND NOT ${WAITS_IN_STREAM}))
           ORDER BY coalesce(next_attempt_at, lease_until, created_at) LIMIT $3 FOR UPDATE SKIP LOCKED)
        RETURNING ${JOB_COLUMNS}`,
      [owner, leaseMs, limit, channel, skipEndpoints],
    );
    return rows.map(toJob);
  }

  async renew(keys: readonly NotificationKey[], owner: string, leaseMs: number): Promise<void> {
    if (keys.length === 0) return;
    await this.query(
      `UPDATE notifications SET lease_until = now() + $6 * interval '1 millisecond'
        WHERE (order_id, kind, channel, endpoint_id) IN (
          SELECT ${KEY_ORDER} FROM notifications
           WHERE (order_id, kind, channel, endpoint_id) IN (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]))
             AND status = 'sending' AND lease_owner = $5
           ORDER BY ${KEY_ORDER} FOR UPDATE)
          AND status = 'sending' AND lease_owner = $5`,
      [...columnsOf(keys.map(keyParams), 4), owner, leaseMs],
    );
  }

  async markSent(key: NotificationKey, _owner: string, messageId: string, provider?: string): Promise<void> {
    await this.markSentBatcher.run({ key, messageId, ...(provider === undefined ? {} : { provider }) });
  }

  async recordUnknownOutcome(key: NotificationKey): Promise<void> {
    await this.query(`UPDATE notifications SET unknown_outcomes = unknown_outcomes + 1, updated_at = now() WHERE ${BY_KEY}`, keyParams(key));
  }

  async markSkipped(key: NotificationKey, owner: string, reason: NotificationFailure): Promise<void> {
    await this.query(`UPDATE notifications SET status = 'skipped', last_error = $6, failure_kind = $7, ${RELEASE_LEASE} WHERE ${BY_KEY} AND lease_owner = $5`, [
      ...keyParams(key),
      owner,
      reason.error,
      reason.kind,
    ]);
  }

  async scheduleRetry(key: NotificationKey, owner: string, plan: RetryPlan): Promise<void> {
    await this.query(
      `UPDATE notifications SET status = 'failed', attempts = $6, last_error = $7, failure_kind = $9, next_attempt_at = $8,
              first_failed_at = coalesce(first_failed_at, now()), last_failed_at = now(), ${RELEASE_LEASE}
        WHERE ${BY_KEY} AND lease_owner = $5`,
      [...keyParams(key), owner, plan.attempts, plan.error, plan.dueAt, plan.kind],
    );
  }

  async release(key: NotificationKey, owner: string, dueAt: Date, reason: NotificationFailure): Promise<void> {
    await this.query(
      `UPDATE notifications SET status = 'failed', next_attempt_at = $6, last_error = $7, failure_kind = $8, ${RELEASE_LEASE} WHERE ${BY_KEY} AND lease_owner = $5`,
      [...keyParams(key), owner, dueAt, reason.error, reason.kind],
    );
  }

  async markDead(key: NotificationKey, owner: string, failure: NotificationFailure & { attempts: number }): Promise<void> {
    await this.query(
      `UPDATE notifications SET status = 'dead', attempts = $6, last_error = $7, failure_kind = $8, next_attempt_at = NULL,
              first_failed_at = coalesce(first_failed_at, now()), last_failed_at = now(), ${RELEASE_LEASE}
        WHERE ${BY_KEY} AND lease_owner = $5`,
      [...keyParams(key), owner, failure.attempts, failure.error, failure.kind],
    );
  }

  async resetDead(key: NotificationKey): Promise<boolean> {
    const rows = await this.query(
      `UPDATE notifications SET status = 'failed', attempts = 0, unknown_outcomes = 0, first_failed_at = NULL, next_attempt_at = now(), ${RELEASE_LEASE}
        WHERE ${BY_KEY} AND status = 'dead' RETURNING order_id`,
      keyParams(key),
    );
    return rows.length > 0;
  }

  private async query<R extends object>(sql: string, params: unknown[], options?: QueryOptions): Promise<R[]> {
    try {
      return (await this.database.query<R>(sql, params, options)).rows;
    } catch (error) {
      throw translate(error);
    }
  }
}

/** A claim and its statement's values (rowValues, then contextValues), made once: the batcher weighs their texts. */
interface ClaimRequest {
  readonly notification: Notification;
  readonly values: readonly unknown[];
}

type ClaimRow = JobRow & StateRow & { taken: boolean };

interface SentRecord {
  readonly key: NotificationKey;
  readonly messageId: string;
  readonly provider?: string;
}

/** The ordering stream of a notification: its order, channel and endpoint. */
const streamOf = (key: NotificationKey): string => `${key.channel}:${key.orderId}${key.endpointId === undefined ? '' : `@${key.endpointId}`}`;

const keyOfRow = (row: JobRow): NotificationKey => ({ orderId: row.order_id, kind: row.kind, channel: row.channel, ...endpointOf(row) });

/** A key as the first four parameters: an email has no endpoint, '' in the table. */
const keyParams = (key: NotificationKey): [string, string, string, string] => [key.orderId, key.kind, key.channel, key.endpointId ?? ''];

/** A new row's own columns (ROW_COLUMNS without the context), the key first. */
function rowValues(notification: Notification): unknown[] {
  const { event } = notification;
  return [
    ...keyParams(notification),
    notification.internalId,
    notification.email ?? null,
    JSON.stringify(event.payload),
    event.type,
    event.version,
    notification.occurredAt,
  ];
}

/** How many values rowValues gives. */
const ROW_WIDTH = 10;

/** Rows as one array per column, for unnest. */
const columnsOf = (rows: readonly (readonly unknown[])[], width: number): unknown[][] =>
  Array.from({ length: width }, (_, column) => rows.map((row) => row[column]));

const contextValues = (context: { correlationId?: string; source?: EventSource }): unknown[] => [
  context.correlationId ?? null,
  context.source?.topic ?? null,
  context.source?.partition ?? null,
  context.source?.offset ?? null,
];

const endpointOf = (row: { endpoint_id: string }): { endpointId?: string } => (row.endpoint_id === '' ? {} : { endpointId: row.endpoint_id });

function toJob(row: JobRow): NotificationJob {
  const email = row.email ?? undefined;
  return {
    notification: {
      orderId: row.order_id,
      kind: row.kind,
      channel: row.channel,
      ...endpointOf(row),
      internalId: row.internal_id,
      ...(email === undefined ? {} : { email }),
      event: { type: row.event_type, version: row.event_version, aggregateId: row.order_id, payload: row.event },
      // Only a row finished (sent or skipped) before migration 11 has none, and it never becomes a job again.
      occurredAt: (row.occurred_at ?? row.created_at).toISOString(),
    },
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
    ...(row.provider ? { provider: row.provider } : {}),
  };
}
