import { ContainerModule } from 'inversify';
import type { Logger } from '../../application/ports/logger.js';
import { sleep } from '../../application/sleep.js';
import { databaseHealthCheck } from '../../adapters/postgres/database-health.js';
import { migrate } from '../../adapters/postgres/migrations.js';
import { PgNotificationLedger } from '../../adapters/postgres/pg-notification-ledger.js';
import { PgOrderRepository } from '../../adapters/postgres/pg-order-repository.js';
import { PgOutbox } from '../../adapters/postgres/pg-outbox.js';
import { PgWebhookEndpoints } from '../../adapters/postgres/pg-webhook-endpoints.js';
import { NodePgDatabase, type SqlDatabase } from '../../adapters/postgres/sql-database.js';
import { provide, T } from '../tokens.js';

const MIGRATION_PATIENCE_MS = 60_000;

export type DatabaseLocation = { readonly url: string } | { readonly embeddedDir: string };

/** PostgreSQL storage (a server, or PGlite embedded in the process), migrated before first use: orders, outbox, ledger, webhook endpoints. */
export function postgresModule(location: DatabaseLocation): ContainerModule {
  return new ContainerModule(({ bind }) => {
    provide(bind, T.Database, [T.Config, T.Logger], async (config, logger) => {
      const database: SqlDatabase =
        'url' in location
          ? new NodePgDatabase({ connectionString: location.url, max: config.databasePoolSize, logger })
          : await (await import('../../adapters/postgres/pglite-database.js')).PgliteDatabase.open(location.embeddedDir); // only the embedded mode loads PGlite
      await migrateWhenReachable(database, logger);
      return database;
    }).onDeactivation((database) => database.end());
    provide(bind, T.OrderRepository, [T.Database, T.Config], (database, config) => new PgOrderRepository(database, config.kafka.topic));
    provide(bind, T.PgOutbox, [T.Database, T.Logger], (database, logger) => new PgOutbox(database, logger)).onDeactivation((outbox) => outbox.close());
    provide(bind, T.Outbox, [T.PgOutbox], (outbox) => outbox);
    provide(bind, T.NotificationLedger, [T.Database], (database) => new PgNotificationLedger(database));
    provide(bind, T.WebhookEndpoints, [T.Database], (database) => new PgWebhookEndpoints(database));
    provide(bind, T.HealthCheck, [T.Database], (database) => databaseHealthCheck(database, 'url' in location ? 'server' : 'embedded (PGlite)'));
  });
}

/** Waits out a database that is still starting (compose, k8s), then applies pending migrations. */
async function migrateWhenReachable(database: SqlDatabase, logger: Logger): Promise<void> {
  const deadline = Date.now() + MIGRATION_PATIENCE_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      const applied = await migrate(database);
      logger.info('database schema up to date', { applied });
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      logger.warn('database not reachable yet, retrying', { attempt, error: error instanceof Error ? error.message : String(error) });
      await sleep(Math.min(5000, 250 * 2 ** attempt));
    }
  }
}
