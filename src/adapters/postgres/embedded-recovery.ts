import type { SqlDatabase } from './sql-database.js';

/**
 * For the in-process event channel only, which loses its queue with the process: events it was handed
 * but that never reached the notification ledger go back to the outbox, to be relayed again.
 */
export async function requeueUnclaimedEvents(database: SqlDatabase, eventType: string): Promise<number> {
  const { rows } = await database.query<{ id: unknown }>(
    `UPDATE outbox SET published_at = NULL
      WHERE type = $1 AND published_at IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.order_id = outbox.key)
      RETURNING id`,
    [eventType],
  );
  return rows.length;
}
