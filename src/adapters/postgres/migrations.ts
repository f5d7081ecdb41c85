import type { SqlDatabase } from './sql-database.js';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** Append only: a shipped migration is never edited, a change is a new version. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'orders and outbox',
    sql: `
      CREATE TABLE orders (
        internal_id uuid PRIMARY KEY,
        order_id    text NOT NULL,
        item_ids    text[] NOT NULL,
        email       text,
        created_at  timestamptz NOT NULL,
        CONSTRAINT orders_order_id_key UNIQUE (order_id)
      );
      CREATE TABLE outbox (
        id           bigserial PRIMARY KEY,
        topic        text NOT NULL,
        key          text NOT NULL,
        payload      jsonb NOT NULL,
        headers      jsonb NOT NULL DEFAULT '{}',
        created_at   timestamptz NOT NULL DEFAULT now(),
        published_at timestamptz,
        attempts     integer NOT NULL DEFAULT 0
      );
      CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;
    `,
  },
  {
    version: 2,
    name: 'notification ledger',
    sql: `
      CREATE TABLE notifications (
        order_id         text PRIMARY KEY,
        internal_id      uuid NOT NULL,
        event            jsonb NOT NULL,
        correlation_id   text,
        source_topic     text,
        source_partition integer,
        source_offset    text,
        status           text NOT NULL CHECK (status IN ('sending', 'sent', 'failed', 'dead', 'skipped')),
        attempts         integer NOT NULL DEFAULT 0,
        last_error       text,
        message_id       text,
        lease_owner      text,
        lease_until      timestamptz,
        next_attempt_at  timestamptz,
        first_failed_at  timestamptz,
        last_failed_at   timestamptz,
        sent_at          timestamptz,
        created_at       timestamptz NOT NULL DEFAULT now(),
        updated_at       timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE status = 'failed';
      CREATE INDEX notifications_leased ON notifications (lease_until) WHERE status = 'sending';
    `,
  },
  {
    version: 3,
    name: 'indexes for the admin page',
    sql: `
      CREATE INDEX orders_created_at ON orders (created_at DESC);
      CREATE INDEX notifications_sent_at ON notifications (sent_at) WHERE status = 'sent';
      CREATE INDEX notifications_dead ON notifications (last_failed_at DESC) WHERE status = 'dead';
    `,
  },
  {
    version: 4,
    name: 'dead letters of the single-process mode',
    sql: `
      CREATE TABLE dead_letters (
        id              bigserial PRIMARY KEY,
        key             text,
        value           bytea,
        headers         jsonb NOT NULL,
        kind            text NOT NULL,
        reason          text NOT NULL,
        attempts        integer NOT NULL,
        first_failed_at timestamptz NOT NULL,
        last_failed_at  timestamptz NOT NULL,
        source          jsonb,
        created_at      timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
  {
    version: 5,
    name: 'parked outbox events, outbox retention',
    sql: `
      ALTER TABLE outbox ADD COLUMN parked_at timestamptz, ADD COLUMN parked_reason text;
      DROP INDEX outbox_unpublished;
      CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL AND parked_at IS NULL;
      CREATE INDEX outbox_parked ON outbox (id) WHERE parked_at IS NOT NULL;
    `,
  },
  {
    version: 6,
    name: 'unknown outcomes of a notification',
    sql: `
      ALTER TABLE notifications ADD COLUMN unknown_outcomes integer NOT NULL DEFAULT 0;
    `,
  },
  {
    version: 7,
    name: 'rate limit buckets',
    // Unlogged: no WAL and no flush at each commit (one per POST /orders); a crash or a failover only
    // refills every bucket. No index on refilled_at, so that the update of each request stays HOT.
    sql: `
      CREATE UNLOGGED TABLE rate_limit_buckets (
        client      text PRIMARY KEY,
        tokens      double precision NOT NULL,
        granted     boolean NOT NULL,
        refilled_at timestamptz NOT NULL
      );
    `,
  },
  {
    version: 8,
    name: 'the kind of a notification failure, for callers without a key',
    // No CHECK: a kind added later must not need a migration; rows without one read as 'unknown'.
    sql: `ALTER TABLE notifications ADD COLUMN failure_kind text;`,
  },
  {
    version: 9,
    name: 'outbox rows hold domain events (type, version, metadata), not Kafka envelopes',
    sql: `
      -- Every row so far is an order-created event; its version and correlation id were in the headers.
      -- The defaults keep an api of the previous version, still running during a rolling deploy, able to write.
      SET LOCAL lock_timeout = '10s';
      ALTER TABLE outbox
        ADD COLUMN type     text    NOT NULL DEFAULT 'order.created',
        ADD COLUMN version  integer NOT NULL DEFAULT 1,
        ADD COLUMN metadata jsonb   NOT NULL DEFAULT '{}';
      -- Only rows the relay will still read: published ones keep the defaults (a large outbox is not rewritten
      -- under the ALTER's lock while the previous version's api waits to write).
      UPDATE outbox SET
        version  = CASE WHEN headers->>'schema-version' ~ '^[0-9]{1,9}$' THEN (headers->>'schema-version')::integer ELSE 1 END,
        metadata = jsonb_strip_nulls(jsonb_build_object('correlationId', headers->>'correlation-id'))
       WHERE published_at IS NULL;
      -- The envelope columns stay, unused, for a relay of the previous version; a later migration drops them.
      ALTER TABLE outbox ALTER COLUMN topic SET DEFAULT 'order-created';
    `,
  },
  {
    version: 10,
    name: 'per-recipient units of the hourly cap',
    // One row per order that took a unit; `recipient` is a hash of the address's key, never the address.
    sql: `
      CREATE TABLE recipient_quota_units (
        order_id  text PRIMARY KEY,
        recipient text NOT NULL,
        taken_at  timestamptz NOT NULL
      );
      CREATE INDEX recipient_quota_units_window ON recipient_quota_units (recipient, taken_at);
      CREATE INDEX recipient_quota_units_taken_at ON recipient_quota_units (taken_at);
    `,
  },
  {
    version: 11,
    name: 'a notification is keyed by (order, kind, channel); the units of the recipient cap by notification',
    // A rolling deploy: a notifier of the previous version still running beside this one can no longer claim
    // (its INSERT ... ON CONFLICT (order_id) has no unique constraint left to match: SQLSTATE 42P10) nor take
    // a unit (recipient_quota_units.order_id is gone). It takes either for a bug and dead-letters the event as
    // poison with its bytes (README, "An unknown event type or version is poison": produce it back once every
    // notifier is upgraded), and its updates by order_id alone would touch every notification of the order.
    // So for this upgrade, stop the old notifiers before the new ones start (the api and relay do not care).
    sql: `
      SET LOCAL lock_timeout = '10s';
      -- Every row so far is the email of an order.created v1 event, the first of its order; the defaults give
      -- them that identity without rewriting the table, and are dropped so a new row must say what it is.
      ALTER TABLE notifications
        ADD COLUMN kind          text    NOT NULL DEFAULT 'order-created',
        ADD COLUMN channel       text    NOT NULL DEFAULT 'email',
        ADD COLUMN event_type    text    NOT NULL DEFAULT 'order.created',
        ADD COLUMN event_version integer NOT NULL DEFAULT 1,
        -- Arrival order within an order: NULL for the rows from before, each the first of its order.
        ADD COLUMN seq           bigint,
        ADD COLUMN email         text,
        ADD COLUMN occurred_at   timestamptz;
      ALTER TABLE notifications
        ALTER COLUMN kind DROP DEFAULT,
        ALTER COLUMN channel DROP DEFAULT,
        ALTER COLUMN event_type DROP DEFAULT,
        ALTER COLUMN event_version DROP DEFAULT;
      CREATE SEQUENCE notifications_seq OWNED BY notifications.seq;
      ALTER TABLE notifications ALTER COLUMN seq SET DEFAULT nextval('notifications_seq');
      -- Only rows a notifier may still send (unfinished, or dead and replayable) need the recipient and the
      -- time of their event; a finished one keeps NULLs and is not rewritten under the lock.
      UPDATE notifications SET
        email = event->>'email',
        occurred_at = CASE WHEN event->>'createdAt' ~ '^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d{1,6})?Z$'
                           THEN (event->>'createdAt')::timestamptz ELSE created_at END
       WHERE status IN ('sending', 'failed', 'dead');
      ALTER TABLE notifications DROP CONSTRAINT notifications_pkey, ADD PRIMARY KEY (order_id, kind, channel);
      -- pending: a notification waiting behind an earlier one of its order. NOT VALID: the rows from before
      -- passed the stricter check already, so none is scanned for it.
      ALTER TABLE notifications DROP CONSTRAINT notifications_status_check,
        ADD CONSTRAINT notifications_status_check CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'dead', 'skipped')) NOT VALID;
      CREATE INDEX notifications_queued ON notifications (order_id) WHERE status = 'pending';

      -- A unit belongs to a notification ('order-created/A-1'): the confirmation and the shipping email of an
      -- order take one each, a retry of either none. Units live an hour, so the table is small.
      ALTER TABLE recipient_quota_units RENAME COLUMN order_id TO notification_key;
      UPDATE recipient_quota_units SET notification_key = 'order-created/' || notification_key;
    `,
  },
  {
    version: 13,
    name: 'order status, version and status history',
    // A constant default makes both columns metadata only: existing orders are not rewritten under the lock.
    // No CHECK on the statuses: the domain owns the rule, and a status added later needs no migration.
    sql: `
      SET LOCAL lock_timeout = '10s';
      ALTER TABLE orders
        ADD COLUMN status  text    NOT NULL DEFAULT 'created',
        ADD COLUMN version integer NOT NULL DEFAULT 1;
      CREATE TABLE order_status_changes (
        id              uuid PRIMARY KEY,
        order_id        text NOT NULL REFERENCES orders (order_id),
        sequence        integer NOT NULL,
        status          text NOT NULL,
        previous_status text NOT NULL,
        note            text,
        tracking_url    text,
        carrier         text,
        changed_at      timestamptz NOT NULL,
        CONSTRAINT order_status_changes_order_sequence_key UNIQUE (order_id, sequence)
      );
    `,
  },
  {
    version: 15,
    name: 'dead letters hold decoded events, and the notification they are about',
    // json, not jsonb: a poison event may hold what jsonb refuses (U+0000), and is stored as it came.
    // Rows of unreadable messages keep key, value and headers; rows of events leave value empty.
    sql: `
      ALTER TABLE dead_letters ADD COLUMN event json, ADD COLUMN notification json;
    `,
  },
  {
    version: 17,
    name: 'indexes for the admin page\'s list of notifications',
    // Newest first, unfiltered or by kind (a handful of kinds, each common: read off the same index), or by a
    // status other than sent (the few rows a filter usually looks for). Each index costs every ledger write,
    // so no more than these. Built under a lock that holds the ledger's writes while it builds: on a large
    // ledger, run it when the notifiers are quiet.
    sql: `
      SET LOCAL lock_timeout = '10s';
      CREATE INDEX notifications_created_at ON notifications (created_at DESC, seq DESC);
      CREATE INDEX notifications_unsent_created_at ON notifications (status, created_at DESC, seq DESC) WHERE status <> 'sent';
    `,
  },
  {
    version: 19,
    name: 'the relay takes an event only after the earlier ones of its key',
    // What the relay's NOT EXISTS reads: the waiting events of one key. Small (published rows leave it).
    sql: `
      SET LOCAL lock_timeout = '10s';
      CREATE INDEX outbox_waiting_by_key ON outbox (key, id) WHERE published_at IS NULL AND parked_at IS NULL;
    `,
  },
  {
    version: 20,
    name: 'a notification is keyed by (order, kind, channel, endpoint); one stream waits only for itself',
    // As with migration 11, a notifier of the previous version can no longer claim (its ON CONFLICT
    // (order_id, kind, channel) matches no unique constraint: SQLSTATE 42P10): stop the old notifiers before
    // the new ones start. The indexes are rebuilt under a lock that holds the ledger's writes meanwhile.
    sql: `
      SET LOCAL lock_timeout = '10s';
      -- '' is no endpoint (email): a constant default, so the rows so far are not rewritten under the lock.
      ALTER TABLE notifications ADD COLUMN endpoint_id text NOT NULL DEFAULT '';
      ALTER TABLE notifications DROP CONSTRAINT notifications_pkey, ADD PRIMARY KEY (order_id, kind, channel, endpoint_id);
      -- Each notifier takes the due notifications of one channel: the email sweeper and the webhook dispatcher
      -- must not read through each other's retries (an endpoint that is down leaves many).
      DROP INDEX notifications_due, notifications_leased, notifications_queued;
      CREATE INDEX notifications_due ON notifications (channel, next_attempt_at) WHERE status = 'failed';
      CREATE INDEX notifications_leased ON notifications (channel, lease_until) WHERE status = 'sending';
      CREATE INDEX notifications_queued ON notifications (channel, order_id) WHERE status = 'pending';
      -- What a notification waits for: the earlier unfinished ones of its stream (order, channel, endpoint).
      -- An order has a row per kind and endpoint (up to 50 endpoints): the primary key's order_id alone would
      -- read them all; this reads one stream's unfinished rows, and finished rows leave it.
      CREATE INDEX notifications_unfinished_by_stream ON notifications (order_id, channel, endpoint_id, seq)
        WHERE status IN ('pending', 'sending', 'failed');
    `,
  },
  {
    version: 21,
    name: 'webhook endpoints',
    // events: notification kinds (order-created…), not the event types receivers see. The secrets sign and are
    // never listed; the previous one signs beside the current one until it expires (a rotation's grace period).
    sql: `
      CREATE TABLE webhook_endpoints (
        id                         text PRIMARY KEY,
        url                        text NOT NULL,
        events                     text[] NOT NULL,
        enabled                    boolean NOT NULL DEFAULT true,
        description                text,
        secret                     text NOT NULL,
        previous_secret            text,
        previous_secret_expires_at timestamptz,
        created_at                 timestamptz NOT NULL,
        updated_at                 timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
  {
    version: 22,
    name: 'order locale',
    // The customer's language (canonical BCP 47, checked by the domain); NULL: the shop's DEFAULT_LOCALE. A column
    // without a default is added without rewriting the table.
    sql: `ALTER TABLE orders ADD COLUMN locale text;`,
  },
  {
    version: 23,
    name: 'the SMTP provider of each sent email',
    // Which of the providers (SMTP_URL, SMTP_FALLBACK_URL) took the email, as host:port; null for webhook deliveries and older rows.
    sql: `ALTER TABLE notifications ADD COLUMN provider text;`,
  },
  {
    version: 24,
    name: 'tokens taken by the last take of a rate-limit bucket',
    // One statement takes for several requests of a client at once (group commit): it says how many it granted.
    sql: `ALTER TABLE rate_limit_buckets ADD COLUMN taken integer NOT NULL DEFAULT 0;`,
  },
];

// Any constant works; it only has to be the same for every instance of ordermail.
const MIGRATION_LOCK = 7_402_118_311;

/** Applies pending migrations, one transaction each, under an advisory lock so concurrent starts take turns. */
export async function migrate(database: SqlDatabase, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  const client = await database.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
    const applied = new Set(rows.map((r) => r.version));
    const newlyApplied: number[] = [];
    for (const migration of migrations) {
      if (applied.has(migration.version)) continue;
      await client.query('BEGIN');
      try {
        await client.query(migration.sql);
        await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      }
      newlyApplied.push(migration.version);
    }
    return newlyApplied;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    client.release();
  }
}
