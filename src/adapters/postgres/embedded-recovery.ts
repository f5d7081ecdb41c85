import type { SqlDatabase } from './sql-database.js';

/**
 * For the in-process event channel only, which loses its queue with the process: events it was handed
 * but that never reached the notification ledger go back to the outbox, to be relayed again. An event
 * reached it when the ledger holds the notification it makes: the confirmation for `order.created`, the
 * `order-<status>` email for `order.status-changed` (what the reactions build; see statusUpdate).
 */
export async function requeueUnclaimedEvents(database: SqlDatabase): Promise<number> {
  const { rows } = await database.query<{ id: unknown }>(
    `UPDATE outbox SET published_at = NULL
      WHERE type IN ('order.created', 'order.status-changed') AND published_at IS NOT NULL
        AND NOT EXISTS (
          SELECT 1 FROM notifications n
           WHERE n.order_id = outbox.key AND n.channel = 'email'
             AND n.kind = CASE outbox.type WHEN 'order.created' THEN 'order-created' ELSE 'order-' || (outbox.payload->>'status') END)
        -- Dead-lettered before it reached the ledger (a value the database refuses, a bug): handled, by an
        -- operator now; relayed again it would only be dead-lettered, and alerted, once more at every start.
        AND NOT EXISTS (
          SELECT 1 FROM dead_letters d
           WHERE d.key = outbox.key AND d.event->>'type' = outbox.type AND d.event->'payload'->>'id' = outbox.payload->>'id')
      RETURNING id`,
    [],
  );
  return rows.length;
}
