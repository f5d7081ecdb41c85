import { ContainerModule } from 'inversify';
import type pg from 'pg';
import type { Logger } from '../../application/ports/logger.js';
import { sleep } from '../../application/sleep.js';
import { migrate } from '../../adapters/postgres/migrations.js';
import { PgOrderRepository } from '../../adapters/postgres/pg-order-repository.js';
import { PgOutbox } from '../../adapters/postgres/pg-outbox.js';
import { createPool, databaseHealthCheck } from '../../adapters/postgres/pg-pool.js';
import { PgNotificationLedger } from '../../adapters/postgres/pg-notification-ledger.js';
import { provide, T } from '../tokens.js';

const MIGRATION_PATIENCE_MS = 60_000;

/** PostgreSQL storage: the pool (migrated before first use), orders, outbox. */
export function postgresModule(databaseUrl: string): ContainerModule {
  return new ContainerModule(({ bind }) => {
    provide(bind, T.PgPool, [T.Config, T.Logger], async (config, logger) => {
      const pool = createPool({ connectionString: databaseUrl, max: config.databasePoolSize, logger, applicationName: `ordermail` });
      await migrateWhenReachable(pool, logger);
      return pool;
    }).onDeactivation((pool) => pool.end());
    provide(bind, T.OrderRepository, [T.PgPool], (pool) => new PgOrderRepository(pool));
    provide(bind, T.Outbox, [T.PgPool, T.Logger], (pool, logger) => new PgOutbox(pool, databaseUrl, logger)).onDeactivation((outbox) =>
      (outbox as PgOutbox).close(),
    );
    provide(bind, T.NotificationLedger, [T.PgPool], (pool) => new PgNotificationLedger(pool));
    provide(bind, T.HealthCheck, [T.PgPool], (pool) => databaseHealthCheck(pool));
  });
}

/** Waits out a database that is still starting (compose, k8s), then applies pending migrations. */
async function migrateWhenReachable(pool: pg.Pool, logger: Logger): Promise<void> {
  const deadline = Date.now() + MIGRATION_PATIENCE_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      const applied = await migrate(pool);
      logger.info('database schema up to date', { applied });
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      logger.warn('database not reachable yet, retrying', { attempt, error: error instanceof Error ? error.message : String(error) });
      await sleep(Math.min(5000, 250 * 2 ** attempt));
    }
  }
}
