import type { SqlDatabase } from './sql-database.js';
import { OrderDuplicateError } from '../../domain/errors.js';
import { Order } from '../../domain/order.js';
import type { ChangeableStatus, OrderStatus, StatusChange, TargetStatus } from '../../domain/order-status.js';
import type { OrderRepository } from '../../application/ports/order-repository.js';
import type { DomainEvent } from '../../domain/domain-event.js';
import { serialisePayload, type EventMetadata } from '../../application/ports/outbox.js';
import { ConcurrentChangeError, DependencyUnavailableError } from '../../application/errors.js';
import { sleep } from '../../application/sleep.js';
import { isConnectionFailure, translate, UNIQUE_VIOLATION, writeOutcome } from './pg-errors.js';
import { OUTBOX_CHANNEL } from './pg-outbox.js';
import { StatementBatcher } from './statement-batcher.js';

interface OrderRow {
  internal_id: string;
  order_id: string;
  item_ids: string[];
  email: string | null;
  locale: string | null;
  created_at: Date;
  status: string;
  version: number;
}

interface StatusChangeRow {
  id: string;
  sequence: number;
  status: string;
  previous_status: string;
  note: string | null;
  tracking_url: string | null;
  carrier: string | null;
  changed_at: Date;
}

/** How long a request waits for the database to come back when a lost connection left its write in doubt. */
const IN_DOUBT_PATIENCE_MS = 3000;

const outboxRows = (events: readonly DomainEvent[]): string =>
  JSON.stringify(events.map((event) => ({ type: event.type, version: event.version, key: event.aggregateId, payload: serialisePayload(event) })));

/** An order to insert, its large texts made once: the batcher weighs them, the statement sends them. */
interface NewOrder {
  readonly order: Order;
  readonly itemsJson: string;
  readonly outboxJson: string;
  readonly metadataJson: string;
}

/** The parameter bytes of a new order, which a batch of inserts caps (events are at most 64 KB each). */
const bytesOf = (added: NewOrder): number => added.itemsJson.length + added.outboxJson.length + added.metadataJson.length;

/*
 * Each array holds one column of the orders (item ids and events as JSON text each). The orders and their events
 * are inserted in the order they came, an order's events in their own order: the outbox ids keep each key's order.
 */
const ADD_BATCH = `
  WITH o AS (
    SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::text[], $7::text[], $8::text[])
      WITH ORDINALITY AS o(internal_id, order_id, item_ids, email, created_at, events, metadata, locale, arrival)
  ), new_orders AS (
    INSERT INTO orders (internal_id, order_id, item_ids, email, created_at, locale)
    SELECT o.internal_id, o.order_id, ARRAY(SELECT item FROM jsonb_array_elements_text(o.item_ids::jsonb) WITH ORDINALITY AS i(item, n) ORDER BY n),
           o.email, o.created_at, o.locale
      FROM o ORDER BY o.arrival
  ), new_events AS (
    INSERT INTO outbox (type, version, key, payload, metadata, topic, headers)
    SELECT e.type, e.version, e.key, e.payload::jsonb, o.metadata::jsonb, $9,
           jsonb_strip_nulls(jsonb_build_object('schema-version', e.version::text, 'content-type', 'application/json', 'correlation-id', o.metadata::jsonb->>'correlationId'))
      FROM o, ROWS FROM (jsonb_to_recordset(o.events::jsonb) AS (type text, version integer, key text, payload text)) WITH ORDINALITY AS e(type, version, key, payload, n)
     ORDER BY o.arrival, e.n
  )
  SELECT pg_notify('${OUTBOX_CHANNEL}', '')`;

export class PgOrderRepository implements OrderRepository {
  constructor(
    private readonly database: SqlDatabase,
    /**
     * Until the envelope columns are dropped: the topic a relay of the previous version (still running during a
     * rolling deploy) publishes a new row to. That relay reads `topic` and `headers`, so they are filled as it wrote them.
     */
    private readonly legacyTopic = 'order-created',
  ) {}

  /** Concurrent requests share the insert (group commit); an order's own requests go one after the other. */
  private readonly adds = new StatementBatcher<NewOrder, undefined>({
    streamOf: (added) => added.order.orderId,
    sizeOf: bytesOf,
    run: (added) => this.insert(added),
  });

  async add(order: Order, events: readonly DomainEvent[], metadata: EventMetadata): Promise<void> {
    const orderIdTaken = (error: unknown): unknown => {
      const { code, constraint } = error as { code?: string; constraint?: string };
      return code === UNIQUE_VIOLATION && constraint === 'orders_order_id_key' ? new OrderDuplicateError(order.orderId) : translate(error);
    };
    const result = await this.settled(this.adds.run({ order, itemsJson: JSON.stringify(order.itemIds), outboxJson: outboxRows(events), metadataJson: JSON.stringify(metadata) }).then(() => 0), orderIdTaken);
    if (!('inDoubt' in result)) return;
    // Its own row tells: ours (same internal id) means stored.
    const stored = await this.settleInDoubt(result.inDoubt, () => this.findByOrderId(order.orderId));
    if (stored?.internalId === order.internalId) return;
    if (stored) throw new OrderDuplicateError(order.orderId);
    throw new DependencyUnavailableError('postgres', { cause: result.inDoubt });
  }

  /**
   * One statement for a batch of orders, so one transaction: every order with its events is stored, or none
   * (a refused batch is run again an order at a time by the batcher), and the NOTIFY goes when it commits.
   */
  private async insert(added: readonly NewOrder[]): Promise<undefined[]> {
    await this.run({ text: ADD_BATCH, name: 'order_add_batch' }, [
      added.map(({ order }) => order.internalId),
      added.map(({ order }) => order.orderId),
      added.map(({ itemsJson }) => itemsJson),
      added.map(({ order }) => order.email ?? null),
      added.map(({ order }) => order.createdAt),
      added.map(({ outboxJson }) => outboxJson),
      added.map(({ metadataJson }) => metadataJson),
      added.map(({ order }) => order.locale ?? null),
      this.legacyTopic,
    ]);
    return added.map(() => undefined);
  }

  /**
   * What a write's failure means: resolves with how many rows it returned, or with the failure when the connection
   * died after the statement left (it may have committed). Any other failure is thrown as `refused` makes it.
   */
  private async settled(write: Promise<number>, refused: (error: unknown) => unknown = translate): Promise<{ rows: number } | { inDoubt: unknown }> {
    let failure: unknown;
    try {
      return { rows: await write };
    } catch (error) {
      failure = error ?? new Error('query failed');
    }
    if (failure instanceof DependencyUnavailableError) throw failure;
    if (!isConnectionFailure(failure)) throw refused(failure);
    const outcome = writeOutcome(failure);
    if (outcome === 'not-written') throw translate(failure);
    if (outcome === 'timeout') throw new DependencyUnavailableError('postgres', { cause: failure, outcomeUnknown: true });
    return { inDoubt: failure };
  }

  /**
   * Optimistic concurrency on `orders.version` rather than a row lock: the change is decided in the domain,
   * between a read and this write, and a lock would have to be held across that round trip (a transaction
   * open in the use case). Here the write is one statement that applies only if the version is still the
   * one the change was decided on; a concurrent UPDATE of the same row waits for the first to commit, then
   * finds the version moved and changes nothing. Retries stay few: an order takes at most two changes.
   */
  async saveStatusChange(order: Order, change: StatusChange, events: readonly DomainEvent[], metadata: EventMetadata): Promise<void> {
    const rows = outboxRows(events);
    // One statement, one transaction: status, history and events together, or none of them (no row
    // `changed`: the history and outbox inserts select from it). The NOTIFY goes only with a change.
    // The envelope columns are filled for a relay of the previous version; `event-type` lets its consumers
    // tell this event from an order.created on the same topic (and dead-letter it as unknown).
    const sql = `
      WITH changed AS (
        UPDATE orders SET status = $2::text, version = $3::integer WHERE order_id = $1 AND version = $3::integer - 1
        RETURNING order_id
      ), history AS (
        INSERT INTO order_status_changes (id, order_id, sequence, status, previous_status, note, tracking_url, carrier, changed_at)
        SELECT $4::uuid, order_id, $3::integer, $2::text, $5::text, $6::text, $7::text, $8::text, $9::timestamptz FROM changed
      ), new_events AS (
        INSERT INTO outbox (type, version, key, payload, metadata, topic, headers)
        SELECT e.type, e.version, e.key, e.payload::jsonb, $11::jsonb, $12,
               jsonb_strip_nulls(jsonb_build_object('event-type', e.type, 'schema-version', e.version::text, 'content-type', 'application/json', 'correlation-id', $11::jsonb->>'correlationId'))
          FROM changed, jsonb_to_recordset($10::jsonb) AS e(type text, version integer, key text, payload text)
      )
      SELECT pg_notify('${OUTBOX_CHANNEL}', '') FROM changed`;
    const params = [
      order.orderId,
      change.status,
      change.sequence,
      change.id,
      change.previousStatus,
      change.note ?? null,
      change.trackingUrl ?? null,
      change.carrier ?? null,
      change.changedAt,
      rows,
      JSON.stringify(metadata),
      this.legacyTopic,
    ];
    const result = await this.write({ text: sql, name: 'order_status_change' }, params);
    if ('inDoubt' in result) {
      // The history entry, by the change's own id, tells.
      const history = await this.settleInDoubt(result.inDoubt, () => this.statusHistory(order.orderId));
      if (history.some((entry) => entry.id === change.id)) return;
      throw new DependencyUnavailableError('postgres', { cause: result.inDoubt });
    }
    if (result.rows === 0) throw new ConcurrentChangeError(order.orderId);
  }

  /** Runs one write on a connection of its own and settles what its failure means (see `settled`). */
  private write(sql: { text: string; name: string }, params: readonly unknown[], refused?: (error: unknown) => unknown): Promise<{ rows: number } | { inDoubt: unknown }> {
    return this.settled(this.run(sql, params), refused);
  }

  /**
   * Runs one named statement (parsed and planned once per connection: the api's hot path) on a connection of its
   * own, and resolves with how many rows it returned. Failing to get a connection is a DependencyUnavailableError:
   * nothing was sent, so nothing is in doubt; a connection that failed is discarded.
   */
  private async run(sql: { text: string; name: string }, params: readonly unknown[]): Promise<number> {
    const client = await this.database.connect().catch((error: unknown) => {
      throw translate(error);
    });
    let failure: unknown;
    try {
      return (await client.query(sql.text, params, { name: sql.name })).rows.length;
    } catch (error) {
      failure = error ?? new Error('query failed');
      throw failure;
    } finally {
      client.release(failure !== undefined && isConnectionFailure(failure));
    }
  }

  /**
   * The connection died after the statement left: it may have committed (a restart that lost only the
   * acknowledgement). Once the database answers again, `look` reads what tells; a database still away
   * after the patience leaves the outcome unknown.
   */
  private async settleInDoubt<T>(failure: unknown, look: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + IN_DOUBT_PATIENCE_MS;
    for (;;) {
      try {
        return await look();
      } catch (error) {
        if (!(error instanceof DependencyUnavailableError) || Date.now() >= deadline)
          throw new DependencyUnavailableError('postgres', { cause: failure, outcomeUnknown: true });
        await sleep(250);
      }
    }
  }

  async findByOrderId(orderId: string): Promise<Order | null> {
    try {
      const { rows } = await this.database.query<OrderRow>(
        'SELECT internal_id, order_id, item_ids, email, locale, created_at, status, version FROM orders WHERE order_id = $1',
        [orderId],
      );
      const row = rows[0];
      if (!row) return null;
      return Order.restore({
        internalId: row.internal_id,
        orderId: row.order_id,
        itemIds: row.item_ids,
        ...(row.email === null ? {} : { email: row.email }),
        ...(row.locale === null ? {} : { locale: row.locale }),
        createdAt: row.created_at,
        status: row.status as OrderStatus,
        version: row.version,
      });
    } catch (error) {
      throw translate(error);
    }
  }

  async statusHistory(orderId: string): Promise<StatusChange[]> {
    try {
      const { rows } = await this.database.query<StatusChangeRow>(
        `SELECT id, sequence, status, previous_status, note, tracking_url, carrier, changed_at
           FROM order_status_changes WHERE order_id = $1 ORDER BY sequence`,
        [orderId],
      );
      return rows.map((row) => ({
        id: row.id,
        status: row.status as TargetStatus,
        previousStatus: row.previous_status as ChangeableStatus,
        sequence: row.sequence,
        changedAt: row.changed_at,
        ...(row.note === null ? {} : { note: row.note }),
        ...(row.tracking_url === null ? {} : { trackingUrl: row.tracking_url }),
        ...(row.carrier === null ? {} : { carrier: row.carrier }),
      }));
    } catch (error) {
      throw translate(error);
    }
  }
}
